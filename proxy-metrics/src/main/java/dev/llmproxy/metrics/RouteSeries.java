package dev.llmproxy.metrics;

import io.prometheus.client.Counter;
import io.prometheus.client.Histogram;

/**
 * One route's children of the route-labelled families, resolved on first use (see {@link ModelSeries}).
 *
 * <p>Threading: any event loop; volatile fields publish a child another loop resolved.
 */
final class RouteSeries {
    private final String route;
    private final Counter responseBytes;
    private final Histogram upstreamFirstByte;

    private volatile Counter.Child bytesChild;
    private volatile Histogram.Child firstByteChild;

    RouteSeries(String route, Counter responseBytes, Histogram upstreamFirstByte) {
        this.route = route;
        this.responseBytes = responseBytes;
        this.upstreamFirstByte = upstreamFirstByte;
    }

    Counter.Child responseBytes() {
        Counter.Child c = bytesChild;
        if (c == null) {
            bytesChild = c = responseBytes.labels(route);
        }
        return c;
    }

    Histogram.Child upstreamFirstByte() {
        Histogram.Child c = firstByteChild;
        if (c == null) {
            firstByteChild = c = upstreamFirstByte.labels(route);
        }
        return c;
    }
}
