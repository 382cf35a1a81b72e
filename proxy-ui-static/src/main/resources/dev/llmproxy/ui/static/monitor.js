// /monitor: polls GET /v1/stats, derives rates from counter deltas between polls and keeps a rolling window of
// points in this tab only (the server keeps counters, not time series). Every server string reaches the page
// through textContent or DOM properties, never innerHTML: model ids, error messages and reasons are data.
'use strict';

(() => {
  const POLL_MS = 1500;
  const WINDOW_SECONDS = 600;
  const FETCH_TIMEOUT_MS = 5000;
  const KEY_STORE = 'llm-proxy.proxyKey';
  const THEME_STORE = 'llm-proxy.theme';
  // The proxy's task vocabulary (ModelTraits.TASKS); an unknown task is answered 400 naming the field.
  const TASKS = ['general', 'quick', 'simple', 'budget', 'complex', 'research', 'analysis', 'reasoning', 'coding',
    'vision', 'audio', 'multimodal', 'long-context', 'documents', 'summarization', 'rag', 'multilingual',
    'conversation', 'tools', 'agents', 'embeddings'];
  const COLORS = { blue: '#2563eb', red: '#dc2626', amber: '#d97706', green: '#16a34a', purple: '#9333ea' };

  const $ = (id) => document.getElementById(id);

  const state = {
    paused: false,
    timer: null,
    inFlight: false,
    polls: 0,
    prev: null,           // {at, requests, errors} of the last good poll, for deltas
    peakActive: 0,
    peakQueue: 0,
    catalog: [],          // /v1/models data, for the context tool
    limits: null,         // the last /v1/rate-limits/observed body
    lastUpstream429s: null,
    health: null,         // the `upstreams` of the last /health body (reachable, models, retired), or null
    lastUpstreamErrors: null,
    // One shared x axis (unix seconds) and one array per plotted series.
    series: { t: [], rps: [], errps: [], errRate: [], p50: [], p95: [], p99: [], t50: [], t95: [], t99: [] },
    gauges: { t: [], active: [], queue: [] },
  };
  const charts = {};

  // ---------------------------------------------------------------- HTTP

  function proxyKey() {
    try {
      return localStorage.getItem(KEY_STORE) || '';
    } catch (e) {
      return '';
    }
  }

  async function api(path, body) {
    const headers = {};
    const key = proxyKey();
    if (key) headers.Authorization = 'Bearer ' + key;
    const init = { headers, cache: 'no-store', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) };
    if (body !== undefined) {
      init.method = 'POST';
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init);
  }

  /** The response's JSON, or null when the body is not JSON (an intermediary's HTML page, say). */
  async function jsonOf(response) {
    try {
      return await response.json();
    } catch (e) {
      return null;
    }
  }

  /** The message of an OpenAI error envelope (or the reference's {error: "text"}), else a generic line. */
  function errorMessage(response, body) {
    if (response.status === 401) return 'The proxy requires a key: enter it in "Proxy key" above.';
    const error = body && body.error;
    if (typeof error === 'string') return error;
    if (error && typeof error.message === 'string') return error.message;
    return 'The proxy answered ' + response.status + '.';
  }

  // ---------------------------------------------------------------- status and polling

  function setStatus(kind, text) {
    $('status').dataset.state = kind;
    $('status-text').textContent = text;
  }

  function schedule() {
    clearTimeout(state.timer);
    state.timer = state.paused ? null : setTimeout(poll, POLL_MS);
  }

  async function poll() {
    state.timer = null;
    if (state.paused || state.inFlight) return;
    state.inFlight = true;
    try {
      const stats = await api('/v1/stats');
      if (stats.status === 401) {
        setStatus('unauthorized', 'Proxy key required');
        $('proxy-key-hint').textContent = 'The proxy answered 401: enter its key.';
        addGap();
      } else if (!stats.ok) {
        setStatus('unreachable', 'Proxy answered ' + stats.status + ' — retrying');
        addGap();
      } else {
        const body = await stats.json();
        const limits = await rateLimits(body);
        const upstreams = await upstreamHealth(body);
        if (!state.paused) {
          ingest(body, stats.headers, limits, upstreams);
          setStatus('live', 'Live · every ' + POLL_MS / 1000 + ' s');
        }
      }
    } catch (e) {
      setStatus('unreachable', 'Proxy unreachable — retrying');
      addGap();
    } finally {
      state.inFlight = false;
      state.polls++;
      if (!state.paused) schedule();
    }
  }

  /**
   * The quota state (pauses) behind the table's last column. Pauses change only on an upstream 429 or when they end,
   * so it is fetched when the upstream 429 count moved, while a pause is shown, and otherwise every fourth poll —
   * half the requests (and access-log lines) of asking every time.
   */
  async function rateLimits(stats) {
    const upstream429s = num(((stats.totals || {}).upstream429 || {}).total);
    const moved = upstream429s !== state.lastUpstream429s;
    state.lastUpstream429s = upstream429s;
    const showingPause = state.limits && (state.limits.paused_until
      || Object.values(state.limits.data || {}).some((m) => m.paused_until || m.daily_exhausted_until
        || m.concurrency_limit_until));
    if (moved || showingPause || state.polls % 4 === 0) {
      try {
        const response = await api('/v1/rate-limits/observed');
        state.limits = response.ok ? await jsonOf(response) : null;
      } catch (e) {
        state.limits = null;
      }
    }
    return state.limits;
  }

  /**
   * Each upstream's model-list state behind the upstreams table (reachable, model count, retired), from GET /health.
   * It changes when a list is refreshed, which is minutes apart, so it is fetched when there is none yet, when an
   * upstream's error count moved (a failing upstream may just have become unreachable), and every fourth poll.
   */
  async function upstreamHealth(stats) {
    const errors = (Array.isArray(stats.upstreams) ? stats.upstreams : [])
      .map((u) => (u ? u.name + ':' + u.errors : '')).join(',');
    const moved = errors !== state.lastUpstreamErrors;
    state.lastUpstreamErrors = errors;
    if (moved || state.health === null || state.polls % 4 === 0) {
      try {
        const response = await api('/health');
        const json = response.ok ? await jsonOf(response) : null;
        state.health = json && Array.isArray(json.upstreams) ? json.upstreams : null;
      } catch (e) {
        state.health = null;
      }
    }
    return state.health;
  }

  function pause() {
    state.paused = true;
    clearTimeout(state.timer);
    state.timer = null;
    $('pause').textContent = 'Resume';
    $('pause').setAttribute('aria-pressed', 'true');
    setStatus('paused', 'Paused');
  }

  function resume() {
    state.paused = false;
    state.prev = null; // a delta across the pause would smear it over one point
    $('pause').textContent = 'Pause';
    $('pause').setAttribute('aria-pressed', 'false');
    setStatus('starting', 'Resuming…');
    poll();
  }

  // ---------------------------------------------------------------- data

  function num(value) {
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
  }

  function pushPoint(values) {
    const s = state.series;
    s.t.push(Date.now() / 1000);
    for (const name of Object.keys(s)) {
      if (name !== 't') s[name].push(name in values ? values[name] : null);
    }
    const cutoff = Date.now() / 1000 - WINDOW_SECONDS;
    while (s.t.length > 0 && s.t[0] < cutoff) {
      for (const name of Object.keys(s)) s[name].shift();
    }
    redraw();
  }

  /** A point with no values, so an outage shows as a gap instead of a line drawn across it. */
  function addGap() {
    state.prev = null;
    pushPoint({});
    setGauge('active', null, 0);
    setGauge('queue', null, 0);
  }

  function ingest(stats, headers, limits, health) {
    const totals = stats.totals || {};
    const requests = num(totals.totalRequests);
    const errors = num(totals.errors);
    const at = performance.now();
    const point = {};
    const prev = state.prev;
    // Counters only grow; a drop means the proxy restarted, and that delta is no rate.
    if (prev && requests !== null && errors !== null && requests >= prev.requests && errors >= prev.errors) {
      const seconds = (at - prev.at) / 1000;
      if (seconds > 0) {
        const dRequests = requests - prev.requests;
        const dErrors = errors - prev.errors;
        point.rps = dRequests / seconds;
        point.errps = dErrors / seconds;
        point.errRate = dRequests > 0 ? (100 * dErrors) / dRequests : 0;
      }
    }
    state.prev = requests === null || errors === null ? null : { at, requests, errors };

    const recent = (stats.windows && stats.windows.last_5_minutes) || {};
    const recentTotals = recent.totals || {};
    const latency = recentTotals.latency || {};
    const ttft = recentTotals.ttft || {};
    point.p50 = num(latency.p50_ms);
    point.p95 = num(latency.p95_ms);
    point.p99 = num(latency.p99_ms);
    point.t50 = num(ttft.p50_ms);
    point.t95 = num(ttft.p95_ms);
    point.t99 = num(ttft.p99_ms);
    pushPoint(point);

    // The gate's state as the proxy stamped it on this very response (every /v1/ answer carries it).
    const active = parseHeader(headers, 'X-Upstream-Active');
    const queue = parseHeader(headers, 'X-Upstream-Queue');
    trackGauges(active, queue);
    setGauge('active', active, Math.max(8, state.peakActive));
    setGauge('queue', queue, Math.max(10, state.peakQueue));

    $('stat-rps').textContent = point.rps === undefined ? '–' : fixed(point.rps, 2);
    $('stat-total').textContent = (requests === null ? '–' : requests.toLocaleString()) + ' requests since start';
    $('stat-errors').textContent = num(recentTotals.errors) === null ? '–'
      : recentTotals.errors.toLocaleString();
    const sinceStart = stats.windows && stats.windows.since_start;
    $('stat-uptime').textContent = (typeof recentTotals.errorRate === 'string' ? recentTotals.errorRate + ' · ' : '')
      + (sinceStart && num(sinceStart.seconds) !== null ? 'up ' + duration(sinceStart.seconds) : '');

    renderModels(stats.usage || {}, limits);
    renderUpstreams(stats.upstreams, health);
    renderClients(stats.clients);
    renderCluster(stats.cluster, stats.clients);
  }

  function parseHeader(headers, name) {
    const value = headers.get(name);
    if (value === null || !/^\d+$/.test(value.trim())) return null;
    return Number(value);
  }

  function trackGauges(active, queue) {
    const g = state.gauges;
    g.t.push(Date.now() / 1000);
    g.active.push(active);
    g.queue.push(queue);
    const cutoff = Date.now() / 1000 - WINDOW_SECONDS;
    while (g.t.length > 0 && g.t[0] < cutoff) {
      g.t.shift();
      g.active.shift();
      g.queue.shift();
    }
    state.peakActive = Math.max(0, ...g.active.filter((v) => v !== null));
    state.peakQueue = Math.max(0, ...g.queue.filter((v) => v !== null));
  }

  function setGauge(name, value, scale) {
    const gauge = $('gauge-' + name);
    gauge.dataset.value = value === null ? '' : String(value);
    $('gauge-' + name + '-value').textContent = value === null ? '–' : String(value);
    const share = value === null ? 0 : Math.min(1, value / scale);
    $('gauge-' + name + '-fill').style.width = (share * 100).toFixed(1) + '%';
    gauge.dataset.level = share >= 1 ? 'full' : share >= 0.75 ? 'high' : 'ok';
    const peak = name === 'active' ? state.peakActive : state.peakQueue;
    $('gauge-' + name + '-note').textContent = 'peak ' + peak + ' in the last ' + WINDOW_SECONDS / 60 + ' min';
  }

  // ---------------------------------------------------------------- models table

  function renderModels(usage, limits) {
    const data = (limits && limits.data) || {};
    const ids = Object.keys(usage);
    // A model paused upstream but without requests since start still deserves a row.
    for (const id of Object.keys(data)) {
      if (!(id in usage) && (data[id].paused_until || data[id].daily_exhausted_until)) ids.push(id);
    }
    ids.sort((a, b) => ((usage[b] || {}).totalRequests || 0) - ((usage[a] || {}).totalRequests || 0)
      || a.localeCompare(b));

    const body = $('models-body');
    const rows = ids.map((id) => modelRow(id, usage[id] || {}, data[id] || {}));
    body.replaceChildren(...rows);
    $('models-empty').hidden = rows.length > 0;

    const globalPause = $('global-pause');
    if (limits && limits.paused_until) {
      globalPause.hidden = false;
      globalPause.textContent = 'Every model is paused by an upstream per-minute limit until '
        + when(limits.paused_until) + '.';
    } else {
      globalPause.hidden = true;
    }
  }

  function modelRow(id, model, limit) {
    const tr = document.createElement('tr');
    tr.dataset.model = id;
    const tokens = model.tokens || {};
    const paused = pausedText(limit);
    if (paused) tr.classList.add('limited');
    cell(tr, id, 'model');
    cell(tr, count(model.totalRequests), 'num requests');
    cell(tr, count(model.errors), 'num errors');
    cell(tr, count(tokens.prompt), 'num tokens-in');
    cell(tr, count(tokens.completion), 'num tokens-out');
    cell(tr, millis((model.latency || {}).p95_ms), 'num p95');
    cell(tr, millis((model.ttft || {}).p50_ms), 'num ttft');
    cell(tr, count((model.upstream429 || {}).total), 'num upstream429');
    cell(tr, paused || '–', 'paused');
    return tr;
  }

  function cell(tr, text, className) {
    const td = document.createElement('td');
    td.className = className;
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function pausedText(limit) {
    const parts = [];
    if (limit.paused_until) parts.push(when(limit.paused_until) + ' (per-minute limit)');
    if (limit.daily_exhausted_until) parts.push(when(limit.daily_exhausted_until) + ' (daily quota)');
    if (limit.concurrency_limit !== undefined && limit.concurrency_limit_until) {
      parts.push('concurrency ' + limit.concurrency_limit + ' until ' + when(limit.concurrency_limit_until));
    }
    return parts.join('; ');
  }

  // ---------------------------------------------------------------- upstreams and clients tables

  /** One row per upstream in file order: its counters from /v1/stats, its model list's state from /health. */
  function renderUpstreams(upstreams, health) {
    const byName = new Map();
    for (const h of Array.isArray(health) ? health : []) {
      if (h && typeof h.name === 'string') byName.set(h.name, h);
    }
    const list = (Array.isArray(upstreams) ? upstreams : []).filter((u) => u && typeof u.name === 'string');
    // An upstream that only /health names (a proxy whose /v1/stats has no `upstreams` yet) still gets a row.
    for (const [name, h] of byName) {
      if (!list.some((u) => u.name === name)) list.push({ name, kind: h.kind });
    }
    $('upstreams-body').replaceChildren(...list.map((u) => upstreamRow(u, byName.get(u.name))));
    $('upstreams-empty').hidden = list.length > 0;
  }

  function upstreamRow(upstream, health) {
    const tr = document.createElement('tr');
    tr.dataset.upstream = upstream.name;
    const name = cell(tr, upstream.name, 'upstream');
    if (health && health.retired) {
      tr.classList.add('retired');
      const badge = document.createElement('span');
      badge.className = 'badge retired-badge';
      badge.textContent = 'retired';
      badge.title = typeof health.retired === 'string' ? health.retired : 'This upstream has been retired.';
      name.append(' ', badge);
    }
    cell(tr, String(upstream.kind || (health && health.kind) || '–'), 'kind');
    const reachable = !health || typeof health.reachable !== 'boolean' ? 'unknown' : health.reachable ? 'yes' : 'no';
    const td = cell(tr, reachable, 'reachable');
    td.dataset.reachable = reachable;
    if (health && typeof health.last_refresh_error === 'string') {
      td.title = 'Last model-list refresh failed: ' + health.last_refresh_error;
    }
    cell(tr, count(health && health.models), 'num models');
    cell(tr, count(upstream.requests), 'num requests');
    cell(tr, count(upstream.errors), 'num errors');
    cell(tr, count(upstream.failovers), 'num failovers');
    return tr;
  }

  /** The panel of configured client keys; hidden when the proxy has none (`clients` empty or absent). */
  function renderClients(clients) {
    const list = (Array.isArray(clients) ? clients : []).filter((c) => c && typeof c.name === 'string');
    $('clients-panel').hidden = list.length === 0;
    $('clients-body').replaceChildren(...list.map(clientRow));
  }

  function clientRow(client) {
    const limits = client.limits || {};
    const tr = document.createElement('tr');
    tr.dataset.client = client.name;
    const name = cell(tr, client.name, 'client');
    const declared = [['rpm', ' requests/min'], ['tpm', ' tokens/min'], ['rpd', ' requests/day'],
      ['concurrency', ' at once'], ['monthly_tokens', ' tokens/month']]
      .filter(([key]) => limited(limits[key])).map(([key, unit]) => limits[key].toLocaleString() + unit);
    name.title = declared.length ? 'Limits: ' + declared.join(', ') : 'No limits';
    cell(tr, ofLimit(client.in_flight, limits.concurrency), 'num in-flight');
    cell(tr, ofLimit(client.requests_today, limits.rpd), 'num requests-today');
    cell(tr, ofLimit(client.tokens_this_month, limits.monthly_tokens), 'num tokens-month');
    cell(tr, count(client.rejected_total), 'num rejected');
    const exhausted = (limited(limits.monthly_tokens) && num(client.tokens_this_month) >= limits.monthly_tokens)
      || (limited(limits.rpd) && num(client.requests_today) >= limits.rpd);
    if (exhausted) tr.classList.add('limited');
    return tr;
  }

  /**
   * The replicas sharing limits through Redis (`cluster` of /v1/stats, present only with REDIS_URL): one row per live
   * replica as each last wrote it (requests and errors since it started, in flight), their sum, and each client key's
   * shared totals (what its rpd and monthly budget are checked against). Hidden without `cluster`.
   */
  function renderCluster(cluster, clients) {
    const panel = $('replicas-panel');
    if (!cluster || !Array.isArray(cluster.replicas)) {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    $('replicas-note').textContent = cluster.redis_up === false
      ? 'Redis unavailable: totals as last read' : 'sharing limits through Redis';
    const rows = cluster.replicas.filter((r) => r && typeof r.replica === 'string').map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.replica = r.replica;
      cell(tr, r.replica + (r.self ? ' (this one)' : ''), 'replica');
      cell(tr, count(r.requests), 'num requests');
      cell(tr, count(r.errors), 'num errors');
      cell(tr, count(r.in_flight), 'num in-flight');
      return tr;
    });
    const totals = cluster.totals || {};
    const sum = document.createElement('tr');
    sum.className = 'totals';
    cell(sum, 'All ' + count(totals.replicas) + ' replicas', 'replica');
    cell(sum, count(totals.requests), 'num requests');
    cell(sum, count(totals.errors), 'num errors');
    cell(sum, count(totals.in_flight), 'num in-flight');
    $('replicas-body').replaceChildren(...rows, sum);
    const limitsByName = {};
    for (const c of Array.isArray(clients) ? clients : []) {
      if (c && typeof c.name === 'string') limitsByName[c.name] = c.limits || {};
    }
    const shared = (Array.isArray(cluster.clients) ? cluster.clients : []).filter((c) => c && typeof c.name === 'string');
    $('cluster-clients-body').replaceChildren(...shared.map((c) => {
      const limits = limitsByName[c.name] || {};
      const tr = document.createElement('tr');
      tr.dataset.client = c.name;
      cell(tr, c.name, 'client');
      cell(tr, ofLimit(c.requests_today, limits.rpd), 'num requests-today');
      cell(tr, ofLimit(c.tokens_this_month, limits.monthly_tokens), 'num tokens-month');
      return tr;
    }));
  }

  /** A declared client limit: 0 (or absent) means none. */
  function limited(value) {
    return num(value) !== null && value > 0;
  }

  /** "12" or, when the client has that limit, "12 / 1,000". */
  function ofLimit(value, limit) {
    return count(value) + (limited(limit) ? ' / ' + limit.toLocaleString() : '');
  }

  // ---------------------------------------------------------------- formatting

  function count(value) {
    return num(value) === null ? '–' : value.toLocaleString();
  }

  function millis(value) {
    return num(value) === null ? '–' : value >= 100 ? Math.round(value).toLocaleString() : value.toFixed(1);
  }

  function fixed(value, digits) {
    return num(value) === null ? '–' : value.toFixed(digits);
  }

  function duration(seconds) {
    const s = Math.floor(seconds);
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }

  function when(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso);
    const left = Math.max(0, Math.round((date.getTime() - Date.now()) / 1000));
    return date.toLocaleTimeString() + ' (in ' + duration(left) + ')';
  }

  // ---------------------------------------------------------------- charts

  const CHARTS = {
    rps: { el: 'chart-rps', unit: '/s', min: 1, series: [
      { key: 'rps', label: 'requests/s', color: COLORS.blue },
      { key: 'errps', label: 'errors/s', color: COLORS.red }] },
    errors: { el: 'chart-errors', unit: '%', min: 5, max: 100, series: [
      { key: 'errRate', label: 'error rate', color: COLORS.red }] },
    latency: { el: 'chart-latency', unit: 'ms', min: 10, series: [
      { key: 'p50', label: 'p50', color: COLORS.green },
      { key: 'p95', label: 'p95', color: COLORS.amber },
      { key: 'p99', label: 'p99', color: COLORS.red }] },
    ttft: { el: 'chart-ttft', unit: 'ms', min: 10, series: [
      { key: 't50', label: 'p50', color: COLORS.green },
      { key: 't95', label: 'p95', color: COLORS.amber },
      { key: 't99', label: 'p99', color: COLORS.purple }] },
  };

  function chartData(def) {
    return [state.series.t, ...def.series.map((s) => state.series[s.key])];
  }

  function clock(seconds) {
    const d = new Date(seconds * 1000);
    return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  }

  function xRange() {
    const t = state.series.t;
    const hi = t.length > 0 ? t[t.length - 1] : Date.now() / 1000;
    const lo = t.length > 0 ? t[0] : hi;
    return [Math.min(lo, hi - 60), hi];
  }

  function chartHeight() {
    return window.matchMedia('(max-width: 600px)').matches ? 160 : 200;
  }

  function buildChart(name) {
    const def = CHARTS[name];
    const el = $(def.el);
    const css = getComputedStyle(document.documentElement);
    const text = css.getPropertyValue('--muted').trim() || '#6b6b73';
    const grid = css.getPropertyValue('--border').trim() || '#e2e2e6';
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const format = (u, v) => (v === null || v === undefined ? '–' : (v >= 100 ? Math.round(v) : v.toFixed(2))
      + ' ' + def.unit);
    const opts = {
      width: Math.max(200, el.clientWidth),
      height: chartHeight(),
      cursor: { drag: { x: false, y: false } },
      scales: {
        // The window's own span, at least a minute wide, so a fresh page has readable time ticks (and a chart
        // whose values are all null still shows the last minute, not whatever uPlot guesses).
        x: { time: true, range: () => xRange() },
        y: { range: (u, lo, hi) => [0, Math.min(def.max || Infinity, Math.max(def.min, (hi || 0) * 1.1))] },
      },
      // Plain hh:mm:ss ticks spaced for a phone: uPlot's default adds a date row whose labels collide when narrow.
      axes: [Object.assign({ space: 70, values: (u, ticks) => ticks.map(clock) }, axis),
        Object.assign({ size: 52 }, axis)],
      series: [{ value: (u, v) => (v === null || v === undefined ? '–' : new Date(v * 1000).toLocaleTimeString()) },
        ...def.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, points: { show: false },
          value: format }))],
    };
    if (charts[name]) charts[name].destroy();
    el.replaceChildren();
    charts[name] = new uPlot(opts, chartData(def), el);
  }

  function buildCharts() {
    if (typeof uPlot !== 'function') {
      for (const def of Object.values(CHARTS)) $(def.el).textContent = 'Charts unavailable: uPlot did not load.';
      return;
    }
    for (const name of Object.keys(CHARTS)) buildChart(name);
  }

  function redraw() {
    for (const [name, chart] of Object.entries(charts)) chart.setData(chartData(CHARTS[name]));
  }

  function watchSizes() {
    const observer = new ResizeObserver(() => {
      for (const [name, chart] of Object.entries(charts)) {
        const width = Math.max(200, $(CHARTS[name].el).clientWidth);
        if (width !== chart.width || chartHeight() !== chart.height) chart.setSize({ width, height: chartHeight() });
      }
    });
    for (const def of Object.values(CHARTS)) observer.observe($(def.el));
  }

  // ---------------------------------------------------------------- theme

  function applyTheme(theme) {
    if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
    else delete document.documentElement.dataset.theme;
    $('theme').textContent = 'Theme: ' + (theme === 'light' || theme === 'dark' ? theme : 'auto');
  }

  function storedTheme() {
    try {
      return localStorage.getItem(THEME_STORE) || 'auto';
    } catch (e) {
      return 'auto';
    }
  }

  function cycleTheme() {
    const next = { auto: 'light', light: 'dark', dark: 'auto' }[storedTheme()] || 'auto';
    try {
      localStorage.setItem(THEME_STORE, next);
    } catch (e) {
      // private mode: the choice lasts for this page only
    }
    applyTheme(next);
    buildCharts(); // axis colours are read from the theme's variables when a chart is built
  }

  // ---------------------------------------------------------------- proxy key

  function saveKey() {
    const value = $('proxy-key').value.trim();
    try {
      if (value) localStorage.setItem(KEY_STORE, value);
      else localStorage.removeItem(KEY_STORE);
      $('proxy-key-hint').textContent = value ? 'Saved in this browser; sent as Authorization: Bearer.' : 'No key.';
    } catch (e) {
      $('proxy-key-hint').textContent = 'This browser does not allow saving the key.';
    }
    state.prev = null;
    state.health = null;
    loadModels();
    if (!state.paused) {
      clearTimeout(state.timer);
      poll();
    }
  }

  // ---------------------------------------------------------------- recommendation tool

  async function recommend(event) {
    event.preventDefault();
    const form = $('recommend-form');
    const body = {};
    for (const name of ['speed', 'quality', 'contextSize', 'cost', 'task']) body[name] = form.elements[name].value;
    const error = $('recommend-error');
    const list = $('recommend-results');
    error.hidden = true;
    $('recommend-submit').disabled = true;
    try {
      const response = await api('/v1/recommend-model', body);
      const json = await jsonOf(response);
      if (!response.ok || !json || !Array.isArray(json.recommendations)) {
        list.replaceChildren();
        showError(error, errorMessage(response, json));
        return;
      }
      list.replaceChildren(...json.recommendations.map(recommendationItem));
    } catch (e) {
      list.replaceChildren();
      showError(error, 'The proxy is unreachable.');
    } finally {
      $('recommend-submit').disabled = false;
    }
  }

  function recommendationItem(rec) {
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = String(rec.name);
    const score = document.createElement('span');
    score.className = 'score';
    score.textContent = 'score ' + rec.score;
    const reason = document.createElement('span');
    reason.className = 'reason';
    reason.textContent = typeof rec.reason === 'string' ? rec.reason
      : 'speed ' + rec.speed + ', quality ' + rec.quality + ', context ' + rec.context + ', cost ' + rec.cost;
    li.append(name, score, reason);
    return li;
  }

  function showError(element, message) {
    element.textContent = message;
    element.hidden = false;
  }

  // ---------------------------------------------------------------- context tool

  async function loadModels() {
    const select = $('ctx-model');
    try {
      const response = await api('/v1/models');
      const json = await jsonOf(response);
      if (!response.ok || !json || !Array.isArray(json.data)) {
        if (select.options.length === 0) modelsError(errorMessage(response, json));
        return;
      }
      state.catalog = json.data.filter((m) => m && typeof m.id === 'string');
      const previous = select.value;
      const groups = new Map();
      for (const model of state.catalog) {
        const publisher = String(model.publisher || model.owned_by || model.upstream || 'other');
        if (!groups.has(publisher)) {
          const group = document.createElement('optgroup');
          group.label = publisher;
          groups.set(publisher, group);
        }
        const option = document.createElement('option');
        option.value = model.id;
        option.textContent = model.id;
        groups.get(publisher).appendChild(option);
      }
      select.replaceChildren(...groups.values());
      const wanted = previous || defaultModel(state.catalog);
      if (state.catalog.some((m) => m.id === wanted)) select.value = wanted;
      if ($('context-error').dataset.source === 'models') $('context-error').hidden = true;
    } catch (e) {
      if (select.options.length === 0) modelsError('Could not load the model list: proxy unreachable.');
    }
  }

  /** gpt-4o-mini when listed, else the first listed chat model (not embeddings), else the first listed. */
  function defaultModel(catalog) {
    if (catalog.some((m) => m.id === 'gpt-4o-mini')) return 'gpt-4o-mini';
    const chat = catalog.find((m) => {
      const out = m.supported_output_modalities;
      return !(Array.isArray(out) && out.length && !out.includes('text'));
    });
    return chat ? chat.id : '';
  }

  function modelsError(message) {
    $('context-error').dataset.source = 'models';
    showError($('context-error'), message);
  }

  async function checkContext(event) {
    event.preventDefault();
    const model = $('ctx-model').value;
    const text = $('ctx-text').value;
    const result = $('context-result');
    const error = $('context-error');
    error.hidden = true;
    error.dataset.source = 'check';
    showSuggestions(null);
    if (!model || !text) {
      result.hidden = true;
      showError(error, !model ? 'Choose a model.' : 'Enter some text to count.');
      return;
    }
    $('context-submit').disabled = true;
    try {
      const response = await api('/v1/check-context', { model, text });
      const json = await jsonOf(response);
      if (!response.ok || !json || num(json.estimatedTokens) === null) {
        result.hidden = true;
        showError(error, errorMessage(response, json));
        if (json && Array.isArray(json.suggestions)) showSuggestions('The proxy suggests:', json.suggestions);
        return;
      }
      showCount(json);
      if (!json.fits) {
        showError(error, 'Too long for ' + json.model + ': ' + json.estimatedTokens.toLocaleString()
          + ' tokens, the limit is ' + json.limit.toLocaleString() + '.');
        const fitting = Array.isArray(json.suggestions) ? json.suggestions : [];
        showSuggestions(fitting.length ? 'Models that take this text:'
          : 'No available model takes this text; shorten it.', fitting);
      }
    } catch (e) {
      result.hidden = true;
      showError(error, 'The proxy is unreachable.');
    } finally {
      $('context-submit').disabled = false;
    }
  }

  function showCount(json) {
    $('context-result').hidden = false;
    $('ctx-tokens').textContent = json.estimatedTokens.toLocaleString();
    $('ctx-limit').textContent = num(json.limit) === null ? '?' : json.limit.toLocaleString();
    const fits = $('ctx-fits');
    fits.dataset.fits = String(Boolean(json.fits));
    fits.textContent = json.fits ? 'fits' : 'does not fit';
    const percent = Number.parseFloat(json.usage);
    const bar = $('ctx-usage-bar');
    bar.style.width = (Number.isFinite(percent) ? Math.min(100, percent) : 0) + '%';
    bar.dataset.level = !json.fits || percent > 100 ? 'over' : percent > 80 ? 'warn' : 'ok';
    const details = [(Number.isFinite(percent) ? percent.toFixed(1) : '?') + '% of the limit'];
    if (typeof json.tokenizer === 'string') details.push(json.tokenizer + (json.exact ? ' (exact)' : ' (estimate)'));
    if (json.limitSource === 'plan' && num(json.modelInputLimit) !== null) {
      details.push('limit set by the GitHub plan; the model accepts ' + json.modelInputLimit.toLocaleString());
    }
    if (num(json.remaining) !== null) {
      details.push(json.remaining >= 0 ? json.remaining.toLocaleString() + ' tokens left'
        : (-json.remaining).toLocaleString() + ' tokens too many');
    }
    $('ctx-detail').textContent = details.join(' · ');
  }

  function showSuggestions(title, ids) {
    const box = $('context-suggestions-box');
    if (title === null) {
      box.hidden = true;
      $('context-suggestions').replaceChildren();
      return;
    }
    box.hidden = false;
    $('context-suggestions-title').textContent = title;
    $('context-suggestions').replaceChildren(...ids.map((id) => {
      const li = document.createElement('li');
      li.textContent = String(id);
      return li;
    }));
  }

  // ---------------------------------------------------------------- start

  function start() {
    applyTheme(storedTheme());
    $('proxy-key').value = proxyKey();
    $('proxy-key-save').addEventListener('click', saveKey);
    $('proxy-key').addEventListener('keydown', (e) => {
      if (e.key === 'Enter') saveKey();
    });
    $('pause').addEventListener('click', () => (state.paused ? resume() : pause()));
    $('theme').addEventListener('click', cycleTheme);

    const task = $('rec-task');
    for (const name of TASKS) {
      const option = document.createElement('option');
      option.value = name;
      option.textContent = name;
      task.appendChild(option);
    }
    $('recommend-form').addEventListener('submit', recommend);
    $('context-form').addEventListener('submit', checkContext);

    buildCharts();
    watchSizes();
    loadModels();
    poll();
  }

  // Read by the UI tests, and handy in the console: the live charts and the window behind them.
  window.__monitor = {
    charts,
    state,
    get polls() {
      return state.polls;
    },
    pause,
    resume,
  };

  start();
})();
