// The page of `python -m mrpn_tf.serve`: an upload view and a live view, over the API that
// docs/web.md documents (/api/model, /api/analyze, /api/results/..., the /api/live WebSocket).
"use strict";

const COLORS = ["#3a6ee8", "#f0a030", "#2a9d5c", "#d33c3c", "#8a5cd0", "#7a6a58", "#e060a8", "#30a8c8"];
const VIDEO = 1, AUDIO = 2;  // the live messages' kinds (live_protocol.py)
const LIVE_WINDOW_S = 60;  // seconds of answers the live timeline shows
const LIST_ANSWERS = 200;  // answers the live list keeps (a stream may run for hours)
const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);
let model = null;

function element(tag, attributes = {}, text = "") {
  const node = tag === "svg" || ["line", "polyline", "circle", "text", "g", "title", "rect"].includes(tag)
    ? document.createElementNS(SVG, tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

function showError(box, message) {
  box.textContent = message;
  box.hidden = !message;
}

// One bar per class, the top one highlighted.
function renderBars(container, labels, probabilities) {
  container.replaceChildren();
  const top = labels.reduce((a, b) => (probabilities[b] > probabilities[a] ? b : a));
  for (const label of labels) {
    const p = probabilities[label];
    const row = element("div", {class: label === top ? "bar top" : "bar", "data-class": label, "data-p": String(p)});
    const track = element("div", {class: "track"});
    const fill = element("div", {class: "fill"});
    fill.style.width = `${(100 * p).toFixed(1)}%`;
    track.append(fill);
    row.append(element("span", {}, label), track, element("span", {class: "value"}, p.toFixed(3)));
    container.append(row);
  }
}

// The class probabilities over time: one point per answer, one line per class, and a cursor.
// points: [{t, start, end, label, probabilities}], drawn at t; range: [t0, t1] seconds.
function renderTimeline(container, labels, points, range, onPick) {
  const width = 900, height = 220, left = 36, right = 12, top = 10, bottom = 26;
  const [t0, t1] = range[1] > range[0] ? range : [range[0], range[0] + 1];
  const x = (t) => left + ((t - t0) / (t1 - t0)) * (width - left - right);
  const y = (p) => top + (1 - p) * (height - top - bottom);
  const svg = element("svg", {viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", role: "img"});
  for (const p of [0, 0.5, 1]) {
    svg.append(element("line", {class: "grid", x1: left, x2: width - right, y1: y(p), y2: y(p)}));
    svg.append(element("text", {x: 4, y: y(p) + 4}, p.toFixed(1)));
  }
  const step = Math.max(1, Math.ceil((t1 - t0) / 10));
  for (let t = Math.ceil(t0); t <= t1; t += step) {
    svg.append(element("text", {x: x(t) - 6, y: height - 8}, `${t} s`));
  }
  svg.append(element("line", {class: "axis", x1: left, x2: width - right, y1: y(0), y2: y(0)}));
  labels.forEach((label, c) => {
    const shown = points.filter((point) => point.probabilities);
    if (shown.length > 1) {
      svg.append(element("polyline", {fill: "none", stroke: COLORS[c % COLORS.length], "stroke-width": 2,
        points: shown.map((point) => `${x(point.t)},${y(point.probabilities[label])}`).join(" ")}));
    }
    shown.forEach((point, i) => {
      const dot = element("circle", {cx: x(point.t), cy: y(point.probabilities[label]), r: 4,
        fill: COLORS[c % COLORS.length], "data-window": i, "data-class": label,
        "data-t": String(point.t), "data-p": String(point.probabilities[label])});
      dot.append(element("title", {}, `${point.start.toFixed(2)}-${point.end.toFixed(2)} s: ${label} ${point.probabilities[label].toFixed(3)}`));
      if (onPick) dot.addEventListener("click", () => onPick(point));
      svg.append(dot);
    });
  });
  const cursor = element("line", {class: "cursor", x1: x(t0), x2: x(t0), y1: top, y2: y(0), visibility: "hidden"});
  svg.append(cursor);
  const legend = element("div", {class: "legend"});
  labels.forEach((label, c) => {
    const key = element("span");
    const swatch = element("i");
    swatch.style.background = COLORS[c % COLORS.length];
    key.append(swatch, label);
    legend.append(key);
  });
  container.replaceChildren(svg, legend);
  return (t) => {
    const at = Math.min(Math.max(t, t0), t1);
    cursor.setAttribute("x1", x(at));
    cursor.setAttribute("x2", x(at));
    cursor.setAttribute("visibility", "visible");
  };
}

// ---- Upload -------------------------------------------------------------------------------

function windowsTable(labels, windows) {
  const table = $("upload-windows");
  table.replaceChildren();
  const head = element("tr");
  for (const name of ["window", "start s", "end s", "label", ...labels]) head.append(element("th", {}, name));
  table.append(head);
  windows.forEach((w, i) => {
    const row = element("tr", {"data-window": i});
    for (const value of [i + 1, w.start_s.toFixed(2), w.end_s.toFixed(2), w.label,
      ...labels.map((label) => w.probabilities[label].toFixed(3))]) row.append(element("td", {}, String(value)));
    table.append(row);
  });
}

function showMedia(kind, file, annotated) {
  const video = $("upload-video"), image = $("upload-image"), audio = $("upload-audio");
  for (const node of [video, image, audio]) {
    node.hidden = true;
    node.removeAttribute("src");
  }
  if (kind === "image") {
    image.src = annotated || URL.createObjectURL(file);
    image.hidden = false;
    return null;
  }
  const player = kind === "video" ? video : audio;
  player.src = annotated || URL.createObjectURL(file);
  player.hidden = false;
  return player;
}

function showUpload(file, body) {
  const result = body.result, labels = Object.keys(result.probabilities);
  $("upload-result").hidden = false;
  $("upload-label").textContent = `${result.label} ${result.probabilities[result.label].toFixed(2)}`;
  $("upload-branch").textContent = `answered by the ${result.branch}`;
  $("upload-note").textContent = result.note ? `note: ${result.note}` : "";
  renderBars($("upload-bars"), labels, result.probabilities);
  const json = $("download-json"), annotated = $("download-annotated");
  json.href = body.downloads.json;
  json.setAttribute("download", `${result.path}.json`);
  annotated.hidden = !body.downloads.annotated;
  if (body.downloads.annotated) {
    annotated.href = body.downloads.annotated;
    annotated.setAttribute("download", `${result.path}.annotated${body.kind === "image" ? ".png" : ".mp4"}`);
  }
  const player = showMedia(body.kind, file, body.downloads.annotated);
  const points = result.windows.map((w) => ({...w, t: (w.start_s + w.end_s) / 2, start: w.start_s, end: w.end_s}));
  const end = Math.max(body.duration_s || 0, ...result.windows.map((w) => w.end_s));
  const seek = player ? (point) => { player.currentTime = point.start; } : null;
  const setCursor = renderTimeline($("upload-timeline"), labels, points, [0, end], seek);
  windowsTable(labels, result.windows);
  $("upload-now").textContent = "";
  if (player) {
    const follow = () => {
      const t = player.currentTime;
      setCursor(t);
      const index = result.windows.findLastIndex((w) => w.start_s <= t);
      const w = result.windows[Math.max(index, 0)];
      $("upload-now").textContent = `at ${t.toFixed(1)} s: ${w.label} ${w.probabilities[w.label].toFixed(2)}`;
      document.querySelectorAll("#upload-windows tr[data-window]").forEach((row) =>
        row.classList.toggle("current", Number(row.dataset.window) === Math.max(index, 0)));
    };
    player.ontimeupdate = follow;
    player.onseeked = follow;
    player.onplay = () => {
      const tick = () => { follow(); if (!player.paused) requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    };
  }
}

async function uploadFile(file) {
  const status = $("upload-status"), error = $("upload-error");
  showError(error, "");
  $("upload-result").hidden = true;
  status.textContent = `Scoring ${file.name}…`;
  try {
    const response = await fetch(`/api/analyze?name=${encodeURIComponent(file.name)}`, {
      method: "POST", body: file, headers: {"Content-Type": "application/octet-stream"}});
    const body = await response.json();
    status.textContent = "";
    if (!response.ok) {
      showError(error, body.error || `the server answered ${response.status}`);
      return;
    }
    showUpload(file, body);
    status.textContent = `${file.name}: ${body.result.windows.length} window(s)`;
  } catch (e) {
    status.textContent = "";
    showError(error, `${file.name}: the upload failed (${e.message})`);
  }
}

function setUpUpload() {
  const input = $("file"), drop = $("drop");
  input.addEventListener("change", () => { if (input.files.length) uploadFile(input.files[0]); });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) uploadFile(e.dataTransfer.files[0]);
  });
}

// ---- Live ---------------------------------------------------------------------------------

let live = null;

function message(kind, time, payload) {
  const bytes = new Uint8Array(9 + payload.byteLength);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, kind);
  view.setFloat64(1, time, true);
  bytes.set(new Uint8Array(payload), 9);
  return bytes.buffer;
}

function sendVideo(session) {
  const video = $("live-video"), canvas = session.canvas;
  const scale = Math.min(1, model.max_frame_side / Math.max(video.videoWidth, video.videoHeight));
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  if (!canvas.width || !canvas.height) return;
  const now = performance.now();
  if (session.firstVideo === null) session.firstVideo = now;
  const time = (now - session.firstVideo) / 1000;
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  canvas.toBlob(async (blob) => {
    if (!blob || session.ws.readyState !== WebSocket.OPEN) return;
    session.ws.send(message(VIDEO, time, await blob.arrayBuffer()));
  }, "image/jpeg", 0.85);
}

function startVideo(session) {
  const period = 1000 / session.fps;
  let last = -Infinity;
  const onFrame = (now) => {
    if (!session.running) return;
    // A socket that cannot drain is not sent more: the frame is skipped here, not queued.
    if (now - last >= period - 2 && session.ws.bufferedAmount < 1 << 20) {
      last = now;
      sendVideo(session);
    }
    session.videoTimer = setTimeout(() => onFrame(performance.now()), Math.max(1, period / 4));
  };
  onFrame(performance.now());
}

async function startAudio(session, media) {
  const context = new AudioContext();
  await context.audioWorklet.addModule("/static/pcm_worklet.js");
  const node = new AudioWorkletNode(context, "pcm-capture");
  const chunk = Math.round(context.sampleRate / 10);  // 0.1 s per message
  let pending = [], pendingLength = 0, sent = 0;
  node.port.onmessage = ({data}) => {
    if (!session.running) return;
    pending.push(data);
    pendingLength += data.length;
    if (pendingLength < chunk) return;
    const pcm = new Int16Array(pendingLength);
    let offset = 0;
    for (const part of pending) {
      for (let i = 0; i < part.length; i++) pcm[offset + i] = Math.max(-32768, Math.min(32767, Math.round(part[i] * 32768)));
      offset += part.length;
    }
    pending = [];
    pendingLength = 0;
    if (session.ws.readyState === WebSocket.OPEN) session.ws.send(message(AUDIO, sent / context.sampleRate, pcm.buffer));
    sent += pcm.length;
  };
  context.createMediaStreamSource(media).connect(node);
  node.connect(context.destination);  // the node outputs silence; connected, the graph runs it
  session.audioContext = context;
  return context.sampleRate;
}

function onLiveMessage(session, data) {
  const answer = JSON.parse(data);
  if (answer.type === "ready") {
    $("live-status").textContent = `Listening: the first answer comes after ${answer.window_s} s, then one every ${answer.hop_s} s.`;
    session.ready();
  } else if (answer.type === "hop") {
    showHop(session, answer);
  } else if (answer.type === "dropped") {
    const box = $("live-dropped");
    box.hidden = false;
    box.textContent = `The server fell behind and dropped ${answer.seconds.toFixed(1)} s of stream ` +
      `(${answer.total_s.toFixed(1)} s in all): ${answer.reason}.`;
  } else if (answer.type === "report") {
    const latency = answer.latency_ms.p50 === undefined ? "" : `, latency p50 ${answer.latency_ms.p50.toFixed(0)} ms, p95 ${answer.latency_ms.p95.toFixed(0)} ms`;
    $("live-status").textContent = `Stopped: ${answer.hops} answer(s)${latency}; ` +
      `${answer.dropped_s > 0 ? `${answer.dropped_s.toFixed(1)} s dropped` : "nothing dropped"}.`;
  } else if (answer.type === "error") {
    showError($("live-error"), answer.error);
    stopLive(false);
  }
}

function showHop(session, answer) {
  const labels = model.labels;
  const item = element("li", {"data-t": String(answer.t), "data-label": answer.label ?? "",
    "data-latency": String(answer.latency_ms), "data-branch": answer.branch});
  if (answer.label === null) {
    $("live-label").textContent = "no answer";
    $("live-branch").textContent = answer.error;
    item.textContent = `${answer.t.toFixed(1)} s: no answer (${answer.error})`;
  } else {
    $("live-label").textContent = `${answer.label} ${answer.probabilities[answer.label].toFixed(2)}`;
    $("live-branch").textContent = answer.fallback ? `${answer.branch}: ${answer.note}` : `${answer.branch}${answer.face ? `, face in ${Math.round(100 * answer.face_ratio)} % of frames` : ""}`;
    renderBars($("live-bars"), labels, answer.probabilities);
    item.textContent = `${answer.t.toFixed(1)} s: ${answer.label} ${answer.probabilities[answer.label].toFixed(2)}, ${answer.latency_ms.toFixed(0)} ms`;
  }
  $("live-latency").textContent = `latency ${answer.latency_ms.toFixed(0)} ms (window closed to answer, in the server)`;
  const list = $("live-answers");
  list.prepend(item);
  while (list.children.length > LIST_ANSWERS) list.lastChild.remove();
  const t1 = Math.max(answer.t, model.window_s);
  session.points = session.points.filter((point) => point.t >= t1 - LIVE_WINDOW_S);
  session.points.push({...answer, end: answer.t});
  const shown = session.points;
  renderTimeline($("live-timeline"), labels, shown, [Math.max(0, t1 - LIVE_WINDOW_S), t1 + model.hop_s], null);
}

async function startLive() {
  showError($("live-error"), "");
  $("live-dropped").hidden = true;
  $("live-answers").replaceChildren();
  $("live-start").disabled = true;
  const wantVideo = model.heads.includes("v"), wantAudio = model.heads.includes("a");
  try {
    const media = await navigator.mediaDevices.getUserMedia({
      video: wantVideo ? {width: {ideal: 640}, height: {ideal: 480}} : false,
      audio: wantAudio ? {channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false} : false,
    });
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/live`);
    ws.binaryType = "arraybuffer";
    const session = {ws, media, running: true, points: [], firstVideo: null, canvas: document.createElement("canvas"),
      fps: Math.min(30, 2 * model.fps)};  // twice the model's rate: the fps grid picks the nearest frame
    live = session;
    const ready = new Promise((resolve) => { session.ready = resolve; });
    ws.onmessage = ({data}) => onLiveMessage(session, data);
    ws.onclose = () => { if (live === session) stopLive(false); };
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error("the server refused the stream")); });
    $("live-video").srcObject = media;
    await $("live-video").play();
    const sampleRate = wantAudio ? await startAudio(session, media) : null;
    ws.send(JSON.stringify({type: "start", video: wantVideo ? {fps: session.fps} : null,
      audio: wantAudio ? {sample_rate: sampleRate} : null}));
    await ready;
    if (wantVideo) startVideo(session);
    $("live-stop").disabled = false;
  } catch (e) {
    showError($("live-error"), `cannot start: ${e.message}`);
    stopLive(false);
  }
}

function stopLive(tellServer = true) {
  const session = live;
  $("live-start").disabled = false;
  $("live-stop").disabled = true;
  if (!session) return;
  live = null;
  session.running = false;
  clearTimeout(session.videoTimer);
  session.media?.getTracks().forEach((track) => track.stop());
  session.audioContext?.close();
  if (session.ws.readyState === WebSocket.OPEN) {
    // Stopped here: the server sends its report, then closes. Stopped by an error: close now.
    if (tellServer) session.ws.send(JSON.stringify({type: "stop"}));
    else session.ws.close();
  }
}

// ---- Page ---------------------------------------------------------------------------------

function showTab(name) {
  for (const tab of ["upload", "live"]) {
    $(`${tab}-view`).hidden = tab !== name;
    $(`tab-${tab}`).classList.toggle("active", tab === name);
  }
}

async function main() {
  $("tab-upload").addEventListener("click", () => showTab("upload"));
  $("tab-live").addEventListener("click", () => showTab("live"));
  setUpUpload();
  $("live-start").addEventListener("click", startLive);
  $("live-stop").addEventListener("click", () => stopLive(true));
  model = await (await fetch("/api/model")).json();
  $("model-name").textContent = `${model.model}: ${model.network}, ${model.labels.length} classes`;
  const streams = [model.heads.includes("v") ? "camera" : "", model.heads.includes("a") ? "microphone" : ""].filter(Boolean);
  $("live-start").textContent = `Start ${streams.join(" and ")}`;
  document.body.dataset.ready = "true";
}

main();
