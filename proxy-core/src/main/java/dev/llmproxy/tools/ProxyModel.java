package dev.llmproxy.tools;

/**
 * One entry of the proxy's {@code GET /v1/models}, as the tools use it. Immutable.
 *
 * @param id              the id a client sends
 * @param upstream        the upstream that serves it; {@value #DEFAULT_UPSTREAM} when the proxy does not say
 * @param ownedBy         {@code owned_by}, or an empty string
 * @param maxInputTokens  the input (context) limit when known, else 0
 * @param maxOutputTokens the output limit when known, else 0
 * @param embeddings      an embeddings model: probed with {@code /v1/embeddings}, never chatted with
 */
record ProxyModel(String id, String upstream, String ownedBy, long maxInputTokens, long maxOutputTokens,
                  boolean embeddings) {
    /** The upstream name of a model whose entry has no {@code upstream} field (a proxy with one upstream). */
    static final String DEFAULT_UPSTREAM = "default";
}
