// The /ui chat page: a streaming, multi-turn chat against this proxy's /v1/chat/completions.
// Safety rule: text from the server or the model enters the DOM through textContent, or through DOMPurify after
// marked; never as raw innerHTML. The page's CSP forbids inline script and style, so everything lives here.
'use strict';

(() => {
  // Chosen when listed and nothing was picked before; else the first chat model the proxy lists.
  const PREFERRED_MODEL = 'gpt-4o-mini';
  const SETTINGS_KEY = 'llm-proxy.ui.settings';
  const PROXY_KEY_KEY = 'llm-proxy.ui.proxy-key';
  const THEME_KEY = 'llm-proxy.ui.theme';
  const TTS_MAX_CHARS = 2000;
  const THEMES = ['system', 'light', 'dark'];
  const PUBLISHER_NAMES = {
    'openai': 'OpenAI', 'microsoft': 'Microsoft', 'meta': 'Meta', 'ai21-labs': 'AI21 Labs', 'cohere': 'Cohere',
    'mistral-ai': 'Mistral AI', 'mistralai': 'Mistral AI', 'deepseek': 'DeepSeek', 'xai': 'xAI', 'core42': 'Core42',
  };

  const $ = (id) => document.getElementById(id);
  const el = {
    model: $('model'), filter: $('model-filter'), modelInfo: $('model-info'), mode: $('upstream-mode'),
    newChat: $('new-chat'), settingsToggle: $('settings-toggle'), themeToggle: $('theme-toggle'),
    settings: $('settings'), system: $('system-prompt'), temperature: $('temperature'), maxTokens: $('max-tokens'),
    voice: $('voice'), proxyKey: $('proxy-key'), messages: $('messages'), emptyHint: $('empty-hint'),
    composer: $('composer'), prompt: $('prompt'), send: $('send'), stop: $('stop'),
  };

  /** The conversation as sent upstream: {role, content} of completed turns only. */
  let history = [];
  /** Bumped by New chat, so a turn aborted by it does not write into the next conversation's history. */
  let conversation = 0;
  let models = [];
  let current = null; // {controller, ...} while a reply streams

  // ---------------------------------------------------------------------------------------------------------------
  // Small helpers

  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function loadJson(key, fallback) {
    try {
      const raw = localStorage.getItem(key);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return fallback;
    }
  }

  function store(key, value) {
    try {
      if (value === null || value === undefined || value === '') localStorage.removeItem(key);
      else localStorage.setItem(key, typeof value === 'string' ? value : JSON.stringify(value));
    } catch (e) {
      // private mode or quota: settings just do not persist
    }
  }

  /** 131072 → "128K", 128000 → "128K", 1048576 → "1M", 10000000 → "10M", 512 → "512". */
  function formatTokens(n) {
    if (typeof n !== 'number' || !(n > 0)) return '';
    // Catalogs mix decimal (128000) and binary (131072) sizes: a round decimal number is read as decimal.
    const decimal = n % 1000 === 0;
    const trim = (v) => (Math.round(v * 10) / 10).toString();
    if (n >= 1e6) return trim(decimal ? n / 1e6 : n / 1048576) + 'M';
    if (n >= 1000) return Math.round(decimal ? n / 1000 : n / 1024) + 'K';
    return String(n);
  }

  function authHeaders() {
    const key = el.proxyKey.value.trim();
    return key ? { Authorization: 'Bearer ' + key } : {};
  }

  // ---------------------------------------------------------------------------------------------------------------
  // SSE: tolerant of any split of the byte stream (UTF-8 sequences, CR LF pairs, events across reads).

  class SseParser {
    constructor(onEvent) {
      this.onEvent = onEvent;
      this.buffer = '';
      this.data = [];
      this.eventType = '';
    }

    /** Feeds decoded text; complete lines are processed, a trailing partial line waits for more. */
    push(text) {
      this.buffer += text;
      let start = 0;
      const buf = this.buffer;
      for (;;) {
        let i = start;
        while (i < buf.length && buf[i] !== '\n' && buf[i] !== '\r') i++;
        if (i >= buf.length) break;
        // A CR at the very end may be the first half of CR LF: wait for the next read to know.
        if (buf[i] === '\r' && i + 1 === buf.length) break;
        const line = buf.slice(start, i);
        start = i + (buf[i] === '\r' && buf[i + 1] === '\n' ? 2 : 1);
        this.line(line);
      }
      this.buffer = buf.slice(start);
    }

    /** End of stream: a last line without terminator, and an event missing its blank line, still count. */
    end() {
      if (this.buffer.length) {
        const rest = this.buffer.replace(/\r$/, '');
        this.buffer = '';
        this.line(rest);
      }
      this.dispatch();
    }

    line(line) {
      if (line === '') {
        this.dispatch();
        return;
      }
      if (line[0] === ':') return; // comment / keep-alive
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value[0] === ' ') value = value.slice(1);
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.eventType = value;
    }

    dispatch() {
      if (this.data.length) {
        const data = this.data.join('\n');
        const type = this.eventType || 'message';
        this.data = [];
        this.eventType = '';
        this.onEvent({ type, data });
      } else {
        this.eventType = '';
      }
    }
  }

  /** Reads an SSE body, calling onEvent(event) for each event; resolves when the stream or [DONE] ends it. */
  async function readSse(body, onEvent) {
    const reader = body.getReader();
    const decoder = new TextDecoder('utf-8');
    let done = false;
    const parser = new SseParser((event) => {
      if (done) return;
      if (event.data.trim() === '[DONE]') {
        done = true;
        return;
      }
      onEvent(event);
    });
    try {
      while (!done) {
        const { value, done: eof } = await reader.read();
        if (eof) {
          parser.push(decoder.decode());
          parser.end();
          break;
        }
        parser.push(decoder.decode(value, { stream: true }));
      }
    } finally {
      if (done) drain(reader);
      else reader.releaseLock();
    }
  }

  /**
   * After [DONE] the server ends the response at once: read on to its end so the connection closes cleanly (a
   * cancel here could look like a client abort to the proxy), but give up on a server that keeps it open.
   */
  function drain(reader) {
    const timer = setTimeout(() => reader.cancel().catch(() => {}), 5000);
    const next = () => reader.read().then(({ done }) => (done ? clearTimeout(timer) : next()), () => clearTimeout(timer));
    next();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Markdown: marked → DOMPurify → DOM fragment. Raw HTML in the model's text is shown as text (a chat shows what
  // the model wrote; and Chrome reports a CSP violation for every parsed on* attribute even in inert documents);
  // images become links (no request the model can trigger). DOMPurify still cleans all of marked's output.

  let markdownReady = false;

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  }

  function setUpMarkdown() {
    if (typeof marked === 'undefined' || typeof DOMPurify === 'undefined') return;
    marked.use({
      gfm: true,
      breaks: true,
      renderer: {
        html(token) {
          const text = escapeHtml(token.text);
          return token.block ? `<p>${text.trim().replace(/\n/g, '<br>')}</p>\n` : text;
        },
        image(token) {
          const a = document.createElement('a');
          a.href = token.href || '';
          a.textContent = token.text || token.href || 'image';
          return a.outerHTML;
        },
      },
    });
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A' && node.getAttribute('href')) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer');
      }
    });
    markdownReady = true;
  }

  const PURIFY = {
    RETURN_DOM_FRAGMENT: true,
    FORBID_TAGS: ['img', 'style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'video', 'audio',
      'source', 'picture', 'svg', 'math', 'link', 'meta', 'base', 'object', 'embed'],
    FORBID_ATTR: ['style', 'srcset', 'action', 'formaction'],
    ADD_ATTR: ['target'],
  };

  function renderMarkdown(target, text) {
    if (!markdownReady) {
      target.textContent = text;
      return;
    }
    const fragment = DOMPurify.sanitize(marked.parse(text), PURIFY);
    target.replaceChildren(fragment);
    for (const pre of target.querySelectorAll('pre')) addCopyButton(pre);
  }

  function addCopyButton(pre) {
    const code = pre.querySelector('code') || pre;
    const wrap = make('div', 'code-block');
    pre.replaceWith(wrap);
    wrap.append(pre);
    const button = make('button', 'copy-code', 'Copy');
    button.type = 'button';
    button.setAttribute('aria-label', 'Copy code');
    button.addEventListener('click', () => copyText(code.textContent, button));
    wrap.append(button);
  }

  async function copyText(text, button) {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = 'Copied';
    } catch (e) {
      button.textContent = 'Copy failed';
    }
    setTimeout(() => { button.textContent = 'Copy'; }, 1500);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Models

  function modelLabel(m) {
    const name = m.id.includes('/') ? m.id.slice(m.id.indexOf('/') + 1) : m.id;
    const ctx = formatTokens(m.limits && m.limits.max_input_tokens);
    let label = ctx ? `${name} · ${ctx}` : name;
    if (m.rate_limit && m.rate_limit.available === false) label += ' · not on plan';
    return label;
  }

  /** Who makes the model, as the list says it (GitHub's publisher, else owned_by), with a display name if known. */
  function publisherOf(m) {
    const owner = m.publisher || m.owned_by;
    return (typeof owner === 'string' && PUBLISHER_NAMES[owner.toLowerCase()]) || owner || m.upstream || 'Other';
  }

  /** The optgroup of a model: its publisher, and its upstream too when the proxy serves several. */
  function groupOf(m, severalUpstreams) {
    return severalUpstreams && m.upstream ? `${m.upstream} · ${publisherOf(m)}` : publisherOf(m);
  }

  /** The model to use when none was chosen: the preferred one if listed, else the first listed; '' if none is. */
  function defaultModel() {
    if (models.some((m) => m.id === PREFERRED_MODEL)) return PREFERRED_MODEL;
    return models.length ? models[0].id : '';
  }

  function isChatModel(m) {
    const out = m.supported_output_modalities;
    return !(Array.isArray(out) && out.length && !out.includes('text'));
  }

  function renderModelOptions() {
    const wanted = el.model.value || loadJson(SETTINGS_KEY, {}).model || defaultModel();
    const query = el.filter.value.trim().toLowerCase();
    const severalUpstreams = new Set(models.map((m) => m.upstream).filter(Boolean)).size > 1;
    const matches = models.filter((m) => !query || m.id.toLowerCase().includes(query)
      || groupOf(m, severalUpstreams).toLowerCase().includes(query) || (m.name || '').toLowerCase().includes(query));
    // The chosen model stays in the list even when the filter hides it, so the selection never jumps silently.
    const chosen = models.find((m) => m.id === wanted);
    if (chosen && !matches.includes(chosen)) matches.unshift(chosen);
    const groups = new Map();
    for (const m of matches) {
      const p = groupOf(m, severalUpstreams);
      if (!groups.has(p)) groups.set(p, []);
      groups.get(p).push(m);
    }
    const fragment = document.createDocumentFragment();
    for (const [publisher, list] of [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      const group = document.createElement('optgroup');
      group.label = publisher;
      for (const m of list) {
        const option = make('option', null, modelLabel(m));
        option.value = m.id;
        option.title = m.id;
        group.append(option);
      }
      fragment.append(group);
    }
    if (chosen === undefined && wanted) {
      // A model the catalog does not list (e.g. from an older session) is still offered.
      const option = make('option', null, wanted);
      option.value = wanted;
      fragment.prepend(option);
    }
    el.model.replaceChildren(fragment);
    el.model.value = wanted;
    if (!el.model.value && el.model.options.length) el.model.selectedIndex = 0;
    showModelInfo();
  }

  function showModelInfo() {
    const m = models.find((x) => x.id === el.model.value);
    if (!m) {
      el.modelInfo.textContent = '';
      return;
    }
    const parts = [];
    const ctx = formatTokens(m.limits && m.limits.max_input_tokens);
    const out = formatTokens(m.limits && m.limits.max_output_tokens);
    if (ctx) parts.push(`${ctx} context`);
    if (out) parts.push(`${out} out`);
    el.modelInfo.textContent = parts.join(' · ');
    el.modelInfo.title = m.id;
  }

  async function loadModels() {
    el.model.setAttribute('aria-busy', 'true');
    try {
      const response = await fetch('/v1/models', { headers: authHeaders() });
      if (!response.ok) {
        const error = await errorFrom(response);
        showPageError(error);
        if (!models.length) renderModelOptions();
        return;
      }
      const body = await response.json();
      models = (Array.isArray(body.data) ? body.data : []).filter((m) => m && typeof m.id === 'string')
        .filter(isChatModel);
      clearPageError();
      renderModelOptions();
      el.model.dataset.loaded = 'true';
    } catch (e) {
      showPageError({ message: 'Could not load the model list: ' + e.message });
      renderModelOptions();
    } finally {
      el.model.removeAttribute('aria-busy');
    }
  }

  async function loadHealth() {
    try {
      const response = await fetch('/health');
      if (!response.ok) return;
      const body = await response.json();
      const mode = body && body.upstream && body.upstream.mode;
      if (typeof mode === 'string') {
        el.mode.textContent = mode;
        el.mode.hidden = false;
        if (body.upstream.url) el.mode.title = String(body.upstream.url);
      }
    } catch (e) {
      // the badge is informative only
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Errors

  /** The proxy's error envelope from a failed response, whatever its shape. */
  async function errorFrom(response) {
    let text = '';
    try {
      text = await response.text();
    } catch (e) {
      // body unreadable: the status is all we have
    }
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch (e) {
      body = null;
    }
    return errorFromBody(body, response.status, text);
  }

  function errorFromBody(body, status, fallbackText) {
    const e = body && body.error;
    let message;
    let code = null;
    if (e && typeof e === 'object') {
      message = typeof e.message === 'string' ? e.message : JSON.stringify(e);
      code = typeof e.code === 'string' ? e.code : null;
    } else if (typeof e === 'string') {
      message = e;
    } else {
      message = fallbackText ? fallbackText.slice(0, 500) : `HTTP ${status}`;
    }
    const suggestions = Array.isArray(body && body.suggestions)
      ? body.suggestions.filter((s) => typeof s === 'string').slice(0, 5) : [];
    return { status, code, message, suggestions };
  }

  /** An error box: message, code and status as text; suggestions as buttons that switch the model. */
  function errorBox(error) {
    const box = make('div', 'error');
    box.setAttribute('role', 'alert');
    box.dataset.testid = 'error';
    if (error.code) box.dataset.code = error.code;
    const head = make('div', 'error-head');
    const title = [error.status ? `Error ${error.status}` : 'Error', error.code].filter(Boolean).join(' · ');
    head.append(make('strong', null, title));
    box.append(head);
    box.append(make('div', 'error-message', error.message));
    if (error.suggestions && error.suggestions.length) {
      const row = make('div', 'suggestions');
      row.append(make('span', 'suggestions-label', 'Try:'));
      for (const id of error.suggestions) {
        const b = make('button', 'suggestion', id);
        b.type = 'button';
        b.dataset.model = id;
        b.title = `Switch to ${id}`;
        b.addEventListener('click', () => switchModel(id));
        row.append(b);
      }
      box.append(row);
    }
    if (error.code === 'proxy_key_invalid' || error.status === 401) {
      const b = make('button', 'enter-key', 'Enter proxy key');
      b.type = 'button';
      b.addEventListener('click', promptForKey);
      box.append(b);
    }
    return box;
  }

  let pageError = null;

  function showPageError(error) {
    clearPageError();
    pageError = errorBox(error);
    pageError.classList.add('page-error');
    el.messages.prepend(pageError);
    if (error.status === 401) promptForKey();
  }

  function clearPageError() {
    if (pageError) pageError.remove();
    pageError = null;
  }

  function promptForKey() {
    openSettings(true);
    el.proxyKey.classList.add('needs-attention');
    el.proxyKey.focus();
  }

  function switchModel(id) {
    el.filter.value = '';
    if (!models.some((m) => m.id === id)) models.push({ id, owned_by: id.split('/')[0] });
    el.model.value = '';
    renderModelOptions();
    el.model.value = id;
    showModelInfo();
    saveSettings();
    el.prompt.focus();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Settings and theme

  function loadSettings() {
    const s = loadJson(SETTINGS_KEY, {});
    el.system.value = typeof s.system === 'string' ? s.system : '';
    el.temperature.value = s.temperature ?? '';
    el.maxTokens.value = s.maxTokens ?? '';
    if (s.voice === 'anatol' || s.voice === 'natalia') el.voice.value = s.voice;
    el.proxyKey.value = localStorage.getItem(PROXY_KEY_KEY) || '';
  }

  function saveSettings() {
    store(SETTINGS_KEY, {
      system: el.system.value,
      temperature: el.temperature.value,
      maxTokens: el.maxTokens.value,
      voice: el.voice.value,
      model: el.model.value || undefined,
    });
  }

  function openSettings(open) {
    el.settings.hidden = !open;
    el.settingsToggle.setAttribute('aria-expanded', String(open));
  }

  function applyTheme(theme) {
    if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
    else delete document.documentElement.dataset.theme;
    el.themeToggle.setAttribute('aria-label', `Theme: ${theme} (change)`);
    el.themeToggle.title = `Theme: ${theme}`;
    el.themeToggle.textContent = theme === 'light' ? '☀' : theme === 'dark' ? '☾' : '◐';
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Conversation view

  function scrollToEnd(force) {
    const m = el.messages;
    const nearEnd = m.scrollHeight - m.scrollTop - m.clientHeight < 120;
    if (force || nearEnd) m.scrollTop = m.scrollHeight;
  }

  function addUserMessage(text) {
    el.emptyHint.hidden = true;
    const node = make('article', 'msg user');
    node.setAttribute('aria-label', 'You');
    node.append(make('div', 'msg-body', text));
    el.messages.append(node);
    scrollToEnd(true);
    return node;
  }

  function addAssistantMessage(model) {
    const node = make('article', 'msg assistant');
    node.setAttribute('aria-label', 'Assistant');
    node.dataset.state = 'waiting';
    node.setAttribute('aria-busy', 'true');
    const meta = make('div', 'msg-meta', model);
    const body = make('div', 'msg-body markdown');
    const typing = make('span', 'typing', '…');
    typing.setAttribute('aria-label', 'waiting for the reply');
    body.append(typing);
    const stats = make('div', 'reply-stats');
    stats.dataset.testid = 'reply-stats';
    stats.hidden = true;
    const actions = make('div', 'msg-actions');
    node.append(meta, body, stats, actions);
    el.messages.append(node);
    scrollToEnd(true);
    return { node, body, stats, actions };
  }

  function addPlayButton(view, getText) {
    const play = make('button', 'play', '▶ Listen');
    play.type = 'button';
    play.setAttribute('aria-label', 'Listen to this reply');
    play.addEventListener('click', () => {
      const text = getText().trim();
      if (!text) return;
      let audio = view.node.querySelector('audio');
      const params = new URLSearchParams({ text: [...text].slice(0, TTS_MAX_CHARS).join(''), voice: el.voice.value });
      const key = el.proxyKey.value.trim();
      if (key) params.set('key', key);
      const src = '/tts?' + params.toString();
      if (!audio || audio.getAttribute('src') !== src) {
        if (audio) audio.remove();
        audio = document.createElement('audio');
        audio.controls = true;
        audio.preload = 'auto';
        audio.src = src;
        audio.setAttribute('aria-label', 'Reply audio');
        audio.addEventListener('error', () => {
          const note = make('div', 'error-message audio-error', 'Audio could not be loaded (is the TTS engine running?)');
          audio.after(note);
        }, { once: true });
        view.actions.after(audio);
      }
      audio.play().catch(() => {});
    });
    view.actions.append(play);
  }

  function addCopyReplyButton(view, getText) {
    const b = make('button', 'copy-reply', 'Copy');
    b.type = 'button';
    b.setAttribute('aria-label', 'Copy this reply');
    b.addEventListener('click', () => copyText(getText(), b));
    view.actions.append(b);
  }

  function formatStats(s) {
    const parts = [];
    if (s.ttftMs !== null) parts.push(`TTFT ${Math.round(s.ttftMs)} ms`);
    if (s.tokensPerSecond !== null) parts.push(`${s.tokensPerSecond.toFixed(1)} tokens/s`);
    if (s.usage) {
      parts.push(`tokens: ${s.usage.prompt_tokens ?? '?'} in · ${s.usage.completion_tokens ?? '?'} out`
        + ` · ${s.usage.total_tokens ?? '?'} total`);
    } else if (s.chunks) {
      parts.push(`${s.chunks} chunks (no usage reported)`);
    }
    parts.push(`${(s.totalMs / 1000).toFixed(2)} s`);
    if (s.finishReason) parts.push(`finish: ${s.finishReason}`);
    return parts.join(' · ');
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Sending a turn

  function setBusy(busy) {
    el.send.disabled = busy;
    el.stop.disabled = !busy;
    el.messages.setAttribute('aria-busy', String(busy));
  }

  function buildRequest(userText) {
    const messages = [];
    const system = el.system.value.trim();
    if (system) messages.push({ role: 'system', content: system });
    messages.push(...history, { role: 'user', content: userText });
    const body = {
      model: el.model.value || defaultModel(),
      messages,
      stream: true,
      stream_options: { include_usage: true },
    };
    const t = parseFloat(el.temperature.value);
    if (Number.isFinite(t)) body.temperature = t;
    const max = parseInt(el.maxTokens.value, 10);
    if (Number.isFinite(max) && max > 0) body.max_tokens = max;
    return body;
  }

  async function send() {
    const text = el.prompt.value;
    if (!text.trim() || current) return;
    if (!markdownReady) setUpMarkdown();
    clearPageError();
    saveSettings();
    const request = buildRequest(text);
    el.prompt.value = '';
    const userNode = addUserMessage(text);
    const view = addAssistantMessage(request.model);
    const controller = new AbortController();
    const turn = { controller, conversation, text: '', started: performance.now(), firstToken: null, chunks: 0, usage: null,
      finishReason: null, error: null, rendered: false };
    current = turn;
    setBusy(true);

    let frame = 0;
    const render = () => {
      frame = 0;
      renderMarkdown(view.body, turn.text);
      scrollToEnd(false);
    };
    const scheduleRender = () => {
      if (!frame) frame = requestAnimationFrame(render);
    };

    try {
      const response = await fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', ...authHeaders() },
        body: JSON.stringify(request),
        signal: controller.signal,
      });
      if (!response.ok) {
        turn.error = await errorFrom(response);
      } else if (!(response.headers.get('content-type') || '').includes('text/event-stream')) {
        // A JSON answer (an upstream that ignores stream:true) still shows.
        const body = await response.json();
        const choice = body && Array.isArray(body.choices) && body.choices[0];
        turn.text = (choice && choice.message && typeof choice.message.content === 'string') ? choice.message.content : '';
        turn.firstToken = performance.now();
        turn.usage = body && body.usage;
        if (body && body.error) turn.error = errorFromBody(body, response.status);
      } else {
        view.node.dataset.state = 'streaming';
        await readSse(response.body, (event) => {
          let chunk;
          try {
            chunk = JSON.parse(event.data);
          } catch (e) {
            return; // not JSON: nothing a chat client can use
          }
          if (!chunk || typeof chunk !== 'object') return;
          if (chunk.error) {
            turn.error = errorFromBody(chunk, 200);
            return;
          }
          if (chunk.usage) turn.usage = chunk.usage;
          const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : null;
          if (!choice) return;
          if (choice.finish_reason) turn.finishReason = choice.finish_reason;
          const delta = choice.delta && typeof choice.delta.content === 'string' ? choice.delta.content : '';
          if (delta) {
            if (turn.firstToken === null) turn.firstToken = performance.now();
            turn.chunks++;
            turn.text += delta;
            scheduleRender();
          }
        });
      }
    } catch (e) {
      if (e.name === 'AbortError') {
        turn.stopped = true;
      } else {
        turn.error = { message: 'Connection failed: ' + e.message, suggestions: [] };
      }
    } finally {
      if (frame) cancelAnimationFrame(frame);
      finishTurn(turn, view, userNode, text, request);
    }
  }

  function finishTurn(turn, view, userNode, userText, request) {
    const ended = performance.now();
    current = null;
    setBusy(false);
    renderMarkdown(view.body, turn.text);
    view.node.removeAttribute('aria-busy');
    if (turn.conversation !== conversation) return; // New chat cleared this turn away
    if (turn.text) {
      // What was shown becomes history, even when stopped or cut short: the model sees what the user saw.
      history.push({ role: 'user', content: userText }, { role: 'assistant', content: turn.text });
      addCopyReplyButton(view, () => turn.text);
      addPlayButton(view, () => view.body.textContent);
    } else {
      view.body.replaceChildren();
      userNode.classList.add('not-sent');
      if (turn.error && !el.prompt.value) el.prompt.value = userText; // ready to resend, e.g. after switching model
    }
    const streamMs = turn.firstToken === null ? null : ended - turn.firstToken;
    const completion = turn.usage && typeof turn.usage.completion_tokens === 'number'
      ? turn.usage.completion_tokens : turn.chunks;
    const stats = {
      ttftMs: turn.firstToken === null ? null : turn.firstToken - turn.started,
      tokensPerSecond: streamMs && streamMs > 0 && completion > 0 ? completion / (streamMs / 1000) : null,
      usage: turn.usage || null,
      chunks: turn.chunks,
      totalMs: ended - turn.started,
      finishReason: turn.stopped ? 'stopped' : turn.finishReason,
    };
    if (turn.text || turn.usage) {
      view.stats.textContent = formatStats(stats);
      view.stats.hidden = false;
    }
    if (turn.error) {
      view.node.dataset.state = 'error';
      view.node.append(errorBox(turn.error));
      if (turn.error.status === 401) promptForKey();
    } else if (turn.stopped) {
      view.node.dataset.state = 'stopped';
      view.node.append(make('div', 'stopped-note', 'Stopped.'));
    } else {
      view.node.dataset.state = 'done';
    }
    scrollToEnd(false);
    el.prompt.focus();
  }

  function newChat() {
    if (current) current.controller.abort();
    conversation++;
    history = [];
    clearPageError();
    for (const node of [...el.messages.children]) {
      if (node !== el.emptyHint) node.remove();
    }
    el.emptyHint.hidden = false;
    el.prompt.focus();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Wiring

  function init() {
    setUpMarkdown();
    loadSettings();
    const theme = localStorage.getItem(THEME_KEY);
    applyTheme(THEMES.includes(theme) ? theme : 'system');

    el.composer.addEventListener('submit', (e) => {
      e.preventDefault();
      send();
    });
    el.prompt.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        send();
      }
    });
    el.stop.addEventListener('click', () => {
      if (current) current.controller.abort();
    });
    el.newChat.addEventListener('click', newChat);
    el.settingsToggle.addEventListener('click', () => openSettings(el.settings.hidden));
    el.themeToggle.addEventListener('click', () => {
      const now = document.documentElement.dataset.theme || 'system';
      const next = THEMES[(THEMES.indexOf(now) + 1) % THEMES.length];
      store(THEME_KEY, next === 'system' ? null : next);
      applyTheme(next);
    });
    el.filter.addEventListener('input', renderModelOptions);
    el.filter.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        // Enter in the filter picks the first match.
        e.preventDefault();
        const first = [...el.model.options].find((o) => o.value.toLowerCase().includes(el.filter.value.trim().toLowerCase()));
        if (first) switchModel(first.value);
      }
    });
    el.model.addEventListener('change', () => {
      showModelInfo();
      saveSettings();
    });
    for (const input of [el.system, el.temperature, el.maxTokens, el.voice]) {
      input.addEventListener('change', saveSettings);
    }
    el.proxyKey.addEventListener('change', () => {
      store(PROXY_KEY_KEY, el.proxyKey.value.trim());
      el.proxyKey.classList.remove('needs-attention');
      loadModels();
    });

    loadHealth();
    loadModels();
    el.prompt.focus();
  }

  init();
})();
