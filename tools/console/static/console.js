// The realm console. Everything goes through the console's API with the
// realm's admin token; window.consoleState holds what the page shows (the
// browser test reads it back).
'use strict';

const state = { overview: null, frame: null, terrain: null, zone: '', history: [], lastBytes: null };
window.consoleState = state;
const $ = (id) => document.getElementById(id);
let token = '';

async function api(path, opts = {}) {
  const headers = Object.assign({ Authorization: 'Bearer ' + token }, opts.headers || {});
  const resp = await fetch(path, Object.assign({}, opts, { headers }));
  if (!resp.ok) {
    throw new Error(resp.status + ' ' + (await resp.text()).trim());
  }
  return resp;
}

function form(fields) {
  return { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) };
}

function cell(tr, text, cls) {
  const td = tr.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
}

function uptime(s) {
  if (!s) return '';
  if (s < 120) return Math.round(s) + ' s';
  if (s < 7200) return Math.round(s / 60) + ' min';
  return (s / 3600).toFixed(1) + ' h';
}

function renderNodes(ov) {
  const body = $('nodes').tBodies[0];
  body.replaceChildren();
  for (const n of ov.nodes) {
    const tr = body.insertRow();
    tr.className = n.healthy ? 'healthy' : 'down';
    tr.dataset.node = n.id;
    cell(tr, n.id); cell(tr, n.role); cell(tr, n.realm || '(all)'); cell(tr, n.host);
    cell(tr, n.healthy ? 'healthy' : n.status, 'health'); cell(tr, uptime(n.uptime_s)); cell(tr, String(n.restarts));
    cell(tr, n.cpu_cores === undefined ? '' : n.cpu_cores.toFixed(2), 'cpu');
    cell(tr, n.link_tls ? 'TLS' : '');
  }
}

function table(rows, cols) {
  const t = document.createElement('table');
  const h = t.createTHead().insertRow();
  for (const c of cols) cell(h, c[0]);
  for (const r of rows) {
    const tr = t.insertRow();
    for (const c of cols) cell(tr, c[1](r));
  }
  return t;
}

function renderRealms(ov) {
  const list = $('realm-list');
  list.replaceChildren();
  const shared = ov.realms[''] || { gateways: [], zones: [] };
  const realmSel = $('broadcast-realm');
  const zoneSel = $('zone');
  const zones = [];
  for (const [name, r] of Object.entries(ov.realms)) {
    zones.push(...(r.zones || []).map((z) => z.id));
    if (!name) continue;
    if (![...realmSel.options].some((o) => o.value === name)) realmSel.add(new Option(name, name));
    const div = document.createElement('div');
    const h = document.createElement('h3');
    h.textContent = `${name}: ${r.players} players`;
    div.append(h);
    const gws = (r.gateways || []).concat(shared.gateways || []);
    div.append(table(gws, [['gateway', (g) => g.id], ['players', (g) => g.players], ['snapshot MB', (g) => (g.snapshot_bytes_total / 1e6).toFixed(1)],
      ['corrections', (g) => g.corrections_total], ['disconnects', (g) => Object.entries(g.disconnects_total || {}).map(([k, v]) => `${k} ${v}`).join(', ')],
      ['open', (g) => (g.full ? 'full' : 'yes')], ['behind p90 ms', (g) => g.behind_p90_ms.toFixed(0)],
      ['cores', (g) => (g.cpu_cores === undefined ? '…' : g.cpu_cores.toFixed(2))],
      ['µs a player tick', (g) => (g.cpu_us_per_player_tick ? g.cpu_us_per_player_tick.toFixed(1) : '–')]]));
    div.append(table(r.zones || [], [['zone', (z) => z.id], ['called', (z) => z.name || ''], ['tick p99 ms', (z) => z.tick_p99_ms.toFixed(1)], ['dilation', (z) => z.dilation.toFixed(2)],
      ['entities', (z) => z.entities], ['players', (z) => z.players]]));
    list.append(div);
  }
  for (const z of zones.sort()) {
    if (![...zoneSel.options].some((o) => o.value === z)) zoneSel.add(new Option(z, z));
    if (![...realmSel.options].some((o) => o.value === 'zone:' + z)) realmSel.add(new Option('zone ' + z, 'zone:' + z));
  }
  if (!state.zone && zoneSel.value) watchZone(zoneSel.value);
}

function renderEvents(ov) {
  const ol = $('events');
  ol.replaceChildren();
  for (const e of (ov.events || []).slice(-30).reverse()) {
    const li = document.createElement('li');
    li.textContent = `${new Date(e.at).toLocaleTimeString()} ${e.node} ${e.event} ${e.detail || ''}`;
    ol.append(li);
  }
}

function remember(ov) {
  let tick = 0, players = 0, bytes = 0, cpu = 0, served = 0;
  for (const r of Object.values(ov.realms)) {
    players += r.players || 0;
    for (const z of r.zones || []) tick = Math.max(tick, z.tick_p99_ms);
    for (const g of r.gateways || []) {
      bytes += g.snapshot_bytes_total;
      // The gateways' CPU over their player ticks, together: each
      // gateway's cost weighted by the player ticks it served.
      if (g.cpu_us_per_player_tick > 0) { cpu += g.cpu_cores; served += g.cpu_cores / g.cpu_us_per_player_tick; }
    }
  }
  const cost = served > 0 ? cpu / served : 0;
  const now = Date.now();
  let kbps = 0;
  if (state.lastBytes) kbps = Math.max(0, (bytes - state.lastBytes.bytes) / ((now - state.lastBytes.at) / 1000) / 1000);
  state.lastBytes = { bytes, at: now };
  state.history.push({ at: now, tick, players, kbps, cost });
  while (state.history.length && now - state.history[0].at > 5 * 60 * 1000) state.history.shift();
  plot('plot-tick', 'tick'); plot('plot-players', 'players'); plot('plot-bandwidth', 'kbps'); plot('plot-cost', 'cost');
}

function plot(id, key) {
  const c = $(id), g = c.getContext('2d');
  g.clearRect(0, 0, c.width, c.height);
  const pts = state.history.map((h) => h[key]);
  if (pts.length < 2) return;
  const max = Math.max(...pts, 1e-9);
  g.strokeStyle = '#2a6fb0';
  g.beginPath();
  pts.forEach((v, i) => {
    const x = (i / (pts.length - 1)) * (c.width - 40) + 35, y = c.height - 10 - (v / max) * (c.height - 25);
    i ? g.lineTo(x, y) : g.moveTo(x, y);
  });
  g.stroke();
  g.fillStyle = '#555';
  g.fillText(max.toFixed(max < 10 ? 1 : 0), 2, 12);
  g.fillText('0', 2, c.height - 8);
}

async function refresh() {
  try {
    const ov = await (await api('/console/api/overview')).json();
    state.overview = ov;
    renderNodes(ov); renderRealms(ov); renderEvents(ov); remember(ov);
    $('status').textContent = 'connected ' + new Date().toLocaleTimeString();
  } catch (e) {
    $('status').textContent = String(e);
  }
  try {
    const r = await (await fetch('/restart')).json();
    state.restart = r;
    const left = Math.max(0, Math.round((new Date(r.at) - Date.now()) / 1000));
    $('restart-status').textContent = r.scheduled
      ? `restart in ${Math.floor(left / 60)} min ${left % 60} s (${new Date(r.at).toLocaleTimeString()}): ${r.reason}` : 'no restart scheduled';
  } catch (e) { /* a standby reviver */ }
}

// The zone map.
const view = { scale: 1, x: 0, y: 0, drag: null };
let streamAbort = null;

async function watchZone(id) {
  state.zone = id; state.frame = null; state.terrain = null;
  if (streamAbort) streamAbort.abort();
  streamAbort = new AbortController();
  try {
    state.terrain = await (await api('/console/api/zone/terrain?id=' + encodeURIComponent(id))).json();
    const c = $('map');
    view.scale = Math.min(c.width / state.terrain.width, c.height / state.terrain.height);
    view.x = 0; view.y = 0;
    const resp = await api('/console/api/zone/view?id=' + encodeURIComponent(id), { signal: streamAbort.signal });
    const reader = resp.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const ev = buf.slice(0, i); buf = buf.slice(i + 2);
        if (ev.startsWith('data: ')) { state.frame = JSON.parse(ev.slice(6)); draw(); }
      }
    }
  } catch (e) {
    if (e.name !== 'AbortError') $('status').textContent = 'zone ' + id + ': ' + e;
  }
}

function toScreen(x, y) { return [x * view.scale + view.x, y * view.scale + view.y]; }

function draw() {
  const c = $('map'), g = c.getContext('2d'), t = state.terrain, f = state.frame;
  g.clearRect(0, 0, c.width, c.height);
  if (!t) return;
  const bits = atob(t.blocked);
  g.fillStyle = '#9a9a8f';
  const ts = t.tile * view.scale;
  for (let i = 0; i < t.cols * t.rows; i++) {
    if (bits.charCodeAt(i >> 3) & (1 << (i & 7))) {
      const [sx, sy] = toScreen((i % t.cols) * t.tile, Math.floor(i / t.cols) * t.tile);
      g.fillRect(sx, sy, Math.max(ts, 1), Math.max(ts, 1));
    }
  }
  if (!f) return;
  g.strokeStyle = 'rgba(0,0,0,0.08)';
  for (let x = 0; x <= f.width; x += f.cell_size) { const [sx] = toScreen(x, 0); g.beginPath(); g.moveTo(sx, 0); g.lineTo(sx, c.height); g.stroke(); }
  for (let y = 0; y <= f.height; y += f.cell_size) { const [, sy] = toScreen(0, y); g.beginPath(); g.moveTo(0, sy); g.lineTo(c.width, sy); g.stroke(); }
  g.fillStyle = 'rgba(128,0,160,0.35)';
  for (const p of f.portals || []) {
    const [x0, y0] = toScreen(p.X0, p.Y0), [x1, y1] = toScreen(p.X1, p.Y1);
    g.fillRect(x0, y0, x1 - x0, y1 - y0);
  }
  for (const [id, kind, x, y] of f.entities || []) {
    const [sx, sy] = toScreen(x, y);
    g.fillStyle = kind === 1 ? '#1f5fbf' : kind === 2 ? '#c0392b' : '#777';
    g.beginPath(); g.arc(sx, sy, kind === 1 ? 4 : 2.5, 0, 2 * Math.PI); g.fill();
  }
}

function setupMap() {
  const c = $('map');
  c.addEventListener('wheel', (e) => {
    e.preventDefault();
    const k = e.deltaY < 0 ? 1.25 : 0.8;
    view.x = e.offsetX - (e.offsetX - view.x) * k; view.y = e.offsetY - (e.offsetY - view.y) * k; view.scale *= k;
    draw();
  });
  c.addEventListener('mousedown', (e) => { view.drag = { x: e.offsetX, y: e.offsetY, moved: false }; });
  c.addEventListener('mousemove', (e) => {
    if (!view.drag) return;
    view.x += e.offsetX - view.drag.x; view.y += e.offsetY - view.drag.y;
    view.drag.moved = view.drag.moved || Math.abs(e.offsetX - view.drag.x) + Math.abs(e.offsetY - view.drag.y) > 2;
    view.drag.x = e.offsetX; view.drag.y = e.offsetY; draw();
  });
  c.addEventListener('mouseup', (e) => { const d = view.drag; view.drag = null; if (!d || !d.moved) inspect(e.offsetX, e.offsetY); });
  $('zone').addEventListener('change', (e) => watchZone(e.target.value));
}

function inspect(px, py) {
  const f = state.frame;
  if (!f) return;
  let best = null, bestD = 64;
  for (const e of f.entities) {
    const [sx, sy] = toScreen(e[2], e[3]);
    const d = (sx - px) ** 2 + (sy - py) ** 2;
    if (d < bestD) { best = e; bestD = d; }
  }
  $('entity-info').textContent = best
    ? `entity ${best[0]}: ${['unknown', 'player', 'NPC', 'object'][best[1]] || best[1]}${f.names[best[0]] ? ' ' + f.names[best[0]] : ''} at (${best[2].toFixed(1)}, ${best[3].toFixed(1)}) in ${f.zone}`
    : 'nothing there';
}

function setupActions() {
  const result = (text) => { $('action-result').textContent = text; };
  $('broadcast').addEventListener('submit', async (e) => {
    e.preventDefault();
    const to = $('broadcast-realm').value;
    const fields = to.startsWith('zone:') ? { zone: to.slice(5) } : { realm: to };
    fields.text = $('broadcast-text').value;
    try { result('message sent to ' + (await (await api('/console/api/broadcast', form(fields))).text()).trim() + ' players'); } catch (err) { result(String(err)); }
  });
  $('kick').addEventListener('submit', async (e) => {
    e.preventDefault();
    try { result((await (await api('/console/api/kick', form({ account: $('kick-account').value, text: $('kick-text').value }))).text()).trim()); } catch (err) { result(String(err)); }
  });
  $('restart').addEventListener('submit', async (e) => {
    e.preventDefault();
    try { result((await (await api('/restart', form({ in: $('restart-in').value, reason: $('restart-reason').value }))).text()).trim()); } catch (err) { result(String(err)); }
    refresh();
  });
  $('restart-cancel').addEventListener('click', async () => {
    try { result((await (await api('/restart/cancel', { method: 'POST' })).text()).trim()); } catch (err) { result(String(err)); }
    refresh();
  });
}

let timer = null;
function connect() {
  token = $('token').value.trim();
  if (timer) clearInterval(timer);
  refresh();
  timer = setInterval(refresh, 2000);
}

$('connect').addEventListener('click', connect);
setupMap();
setupActions();
const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromHash) { $('token').value = fromHash; connect(); }
