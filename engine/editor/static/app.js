"use strict";
// The hand-editing page: the draft from the engine, edits by hand, sent back as one list ("Apply").
(() => {
  const T = {
    en: {title: "Edit by hand", split: "Split", del: "Delete", shape: "Shape", apply: "Apply", export: "Export",
      reset: "Undo all", loading: "Loading the draft…", saving: "Applying…", nothing: "Nothing to apply yet.",
      conflict: "The draft changed meanwhile: reloaded.", denied: "This editing link is not valid or has expired: open it again from the chat.",
      failed: "That did not work; try again.", exporting: "Exporting…", done: "Ready: ", open: "open the video",
      changed: "Changes not applied yet.", s: " s", title_ph: "Title text", empty: "The draft has no video yet.",
      hint: "Drag a segment's ends to trim it, tap it and press Delete to remove it, split at the red playhead. Tap a title to retype it, drag it to move it. Drag the yellow frame to choose what the shape keeps."},
    zh: {title: "手动编辑", split: "分割", del: "删除", shape: "比例", apply: "应用", export: "导出",
      reset: "全部撤销", loading: "正在加载草稿…", saving: "正在应用…", nothing: "还没有可以应用的修改。",
      conflict: "草稿已被修改：已重新加载。", denied: "这个编辑链接无效或已过期：请从聊天中重新打开。",
      failed: "没有成功，请重试。", exporting: "正在导出…", done: "已完成：", open: "打开视频",
      changed: "修改尚未应用。", s: "秒", title_ph: "标题文字", empty: "草稿里还没有视频。",
      hint: "拖动片段两端来剪裁，点选片段再按“删除”可删掉它，在红色播放头处分割。点选标题可改字，拖动可移动。拖动黄色框选择画面保留的部分。"},
  };
  const $ = (id) => document.getElementById(id);
  const base = location.pathname.replace(/\/$/, "");
  const query = location.search;
  const MIN = 100;
  let initData = "";
  try {
    const h = new URLSearchParams(location.hash.slice(1)).get("tgWebAppData");
    if (h) sessionStorage.setItem("tgInitData", h);
    initData = h || sessionStorage.getItem("tgInitData") || "";
  } catch (e) { /* storage off: the hash alone */ }
  let L = T[(navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en"];
  let S = null, W = null, E = [], sel = null, tsel = null, T0 = 0, playing = false, cur = -1, scale = 1;
  const video = $("v");
  video.addEventListener("canplay", () => performance.mark("playable"), {once: true});  // the bench reads it

  function tg(event, data) {  // Telegram's Mini App events, without its script (nothing downloads)
    const body = JSON.stringify({eventType: event, eventData: data || ""});
    try {
      if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent(event, JSON.stringify(data || ""));
      else if (window.external && window.external.notify) window.external.notify(body);
      else if (window.parent !== window) window.parent.postMessage(body, "*");
    } catch (e) { /* not inside Telegram */ }
  }

  async function call(path, body) {
    const headers = {"Accept": "application/json"};
    if (initData) headers["X-Telegram-Init-Data"] = initData;
    if (body) headers["Content-Type"] = "application/json";
    const r = await fetch(base + "/" + path + query, {method: body ? "POST" : "GET", headers,
      body: body ? JSON.stringify(body) : undefined, cache: "no-store", credentials: "omit"});
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (r.status === 403) { deny(); throw new Error("denied"); }
    return {status: r.status, data: data || {}};
  }

  function deny() {
    $("denied-text").textContent = L.denied;
    $("denied").hidden = false;
    document.title = "403";
    video.pause();
  }

  function say(text, bad, link) {
    const m = $("msg");
    m.textContent = text || "";
    m.className = bad ? "bad" : "";
    if (link) {
      const a = document.createElement("a");
      a.href = link; a.target = "_blank"; a.rel = "noopener noreferrer"; a.textContent = L.open; a.id = "out";
      m.appendChild(a);
    }
  }

  const sec = (ms) => (ms / 1000).toFixed(1);
  const total = () => W.video.reduce((n, s) => n + s.d, 0);
  function relayout() { let p = 0; for (const s of W.video) { s.st = p; p += s.d; } }

  function texts() {
    document.documentElement.lang = S.lang;
    $("h-title").textContent = L.title; $("split").textContent = L.split; $("del").textContent = L.del;
    $("shape-label").textContent = L.shape; $("apply").textContent = L.apply; $("export").textContent = L.export;
    $("reset").textContent = L.reset; $("ttext").placeholder = L.title_ph; document.title = L.title;
    $("hint").textContent = L.hint;
  }

  async function load(note) {
    say(note || L.loading);
    const r = await call("draft");
    S = r.data;
    L = T[S.lang] || T.en;
    texts();
    W = JSON.parse(JSON.stringify({video: S.video, texts: S.texts, aspect: S.aspect, cx: S.cx, cy: S.cy}));
    E = []; sel = null; tsel = null; cur = -1;
    T0 = Math.min(T0, Math.max(0, total() - 1));
    say(note || (W.video.length ? "" : L.empty), !!note);
    draw();
    seek(T0);
  }

  function push(edit) {
    E.push(edit);
    say(L.changed);
    $("apply").disabled = false; $("reset").disabled = false;
  }

  // the timeline ---------------------------------------------------------------------------------
  function draw() {
    relayout();
    const t = total();
    const box = $("tl").clientWidth - 28;
    scale = Math.max(box, 40) / Math.max(S.total, t, 1);
    $("tl-in").style.width = Math.max(box, t * scale) + "px";
    $("len").textContent = sec(t) + L.s;
    const lv = $("lane-v"), lt = $("lane-t"), lm = $("lane-m");
    lv.textContent = ""; lt.textContent = ""; lm.textContent = "";
    W.video.forEach((s, i) => {
      const el = block("seg" + (s.src ? "" : " card") + (sel === i ? " sel" : ""), s.st, s.d, s.name || "#" + (i + 1));
      el.dataset.i = i;
      const pick = () => { sel = sel === i ? null : i; tsel = null; draw(); seek(s.st + 1); };
      // a short segment is all handles on a phone: tapping one (no drag) selects it too
      el.appendChild(handle("start", (dx) => trim(i, dx, true), () => trimDone(i), pick));
      el.appendChild(handle("end", (dx) => trim(i, dx, false), () => trimDone(i), pick));
      tap(el, pick);
      lv.appendChild(el);
    });
    W.texts.forEach((x, i) => {
      const el = block("txt" + (tsel === i ? " sel" : ""), x.st, x.d, x.text);
      el.dataset.i = i;
      const pick = () => { tsel = tsel === i ? null : i; sel = null; draw(); seek(x.st + 1); };
      el.appendChild(handle("end", (dx) => textMove(i, dx, false), () => textDone(i), pick));
      drag(el, (dx) => textMove(i, dx, true), () => textDone(i), pick);
      lt.appendChild(el);
    });
    S.music.forEach((m) => lm.appendChild(block("mus", m.st, Math.min(m.d, t), "♪ " + m.title)));
    $("del").disabled = sel === null || W.video.length < 2;
    const te = $("tedit");
    te.hidden = tsel === null;
    if (tsel !== null && document.activeElement !== $("ttext")) $("ttext").value = W.texts[tsel].text;
    for (const b of document.querySelectorAll("#shapes button")) b.classList.toggle("on", b.dataset.aspect === W.aspect);
    crop();
    playhead();
  }

  function block(cls, st, d, label) {
    const el = document.createElement("div");
    el.className = cls;
    el.style.left = st * scale + "px";
    el.style.width = Math.max(d * scale, 6) + "px";
    const span = document.createElement("span");
    span.textContent = label;
    el.appendChild(span);
    return el;
  }

  // a pointer drag (mouse or touch): move(dx in px since the start), end(); a tap when it never moved
  function drag(el, move, end, onTap) {
    el.addEventListener("pointerdown", (ev) => {
      if (ev.target !== el && !el.contains(ev.target)) return;
      ev.stopPropagation(); ev.preventDefault();
      const x0 = ev.clientX, id = ev.pointerId; let moved = false;
      // on the window: the timeline is drawn again while dragging, this element leaves the page
      const mv = (e) => {
        if (e.pointerId !== id) return;
        const dx = e.clientX - x0; if (Math.abs(dx) > 3) moved = true; if (moved) move(dx);
      };
      const up = (e) => {
        if (e.pointerId !== id) return;
        window.removeEventListener("pointermove", mv); window.removeEventListener("pointerup", up);
        window.removeEventListener("pointercancel", up);
        if (moved) end(); else if (onTap) onTap();
      };
      window.addEventListener("pointermove", mv); window.addEventListener("pointerup", up);
      window.addEventListener("pointercancel", up);
    });
  }
  function tap(el, onTap) { drag(el, () => {}, () => {}, onTap); }
  function handle(side, move, end, onTap) {
    const h = document.createElement("div");
    h.className = "h " + side;
    drag(h, move, end, onTap || null);
    return h;
  }

  let grab = null;  // the segment as it was when a drag began
  function trim(i, dx, start) {
    const s = W.video[i];
    if (!grab) grab = {in: s.in, d: s.d};
    let dms = Math.round(dx / scale);
    if (start) {
      const lo = s.src ? -grab.in / s.speed : -Infinity;
      dms = Math.max(lo, Math.min(dms, grab.d - MIN));
      s.in = s.src ? Math.round(grab.in + dms * s.speed) : 0;
      s.d = Math.round(grab.d - dms);
    } else {
      const hi = s.src && s.srcd ? (s.srcd - grab.in) / s.speed : Infinity;
      s.d = Math.round(Math.max(MIN, Math.min(grab.d + dms, hi)));
    }
    draw();
    seek(start ? s.st : s.st + s.d - 1);
  }
  function trimDone(i) {
    const s = W.video[i];
    grab = null;
    push({op: "trim", seg: i, in: s.in, d: s.d});
  }

  function textMove(i, dx, whole) {
    const x = W.texts[i];
    if (!grab) grab = {st: x.st, d: x.d};
    const dms = Math.round(dx / scale), t = total();
    if (whole) x.st = Math.max(0, Math.min(grab.st + dms, t - x.d));
    else x.d = Math.max(MIN, Math.min(grab.d + dms, t - x.st));
    draw();
    seek(x.st);
  }
  function textDone(i) {
    const x = W.texts[i];
    grab = null;
    push({op: "text", idx: i, st: x.st, d: x.d, text: x.text});
  }

  // the crop frame, over the footage, movable ---------------------------------------------------
  const ASPECT = {"9:16": 9 / 16, "1:1": 1, "16:9": 16 / 9};
  function sourceAspect() {
    const s = W.video[Math.max(0, cur)] || W.video[0];
    const src = s && S.sources[s.src];
    return src && src.w && src.h ? src.w / src.h : 16 / 9;
  }
  function crop() {
    const c = $("crop"), sa = sourceAspect();
    $("stage").style.aspectRatio = String(sa);
    if (!W.aspect || !ASPECT[W.aspect]) { c.hidden = true; return; }
    const ta = ASPECT[W.aspect];
    c.hidden = false;
    const w = ta < sa ? ta / sa : 1, h = ta < sa ? 1 : sa / ta;
    c.style.width = w * 100 + "%"; c.style.height = h * 100 + "%";
    c.style.left = (1 - w) * W.cx * 100 + "%"; c.style.top = (1 - h) * W.cy * 100 + "%";
  }
  (function cropDrag() {
    const c = $("crop");
    let g = null;
    c.addEventListener("pointerdown", (ev) => {
      ev.preventDefault(); c.setPointerCapture(ev.pointerId);
      g = {x: ev.clientX, y: ev.clientY, cx: W.cx, cy: W.cy};
    });
    c.addEventListener("pointermove", (ev) => {
      if (!g) return;
      const st = $("stage").getBoundingClientRect(), r = c.getBoundingClientRect();
      const fx = st.width - r.width, fy = st.height - r.height;
      if (fx > 1) W.cx = Math.max(0, Math.min(1, g.cx + (ev.clientX - g.x) / fx));
      if (fy > 1) W.cy = Math.max(0, Math.min(1, g.cy + (ev.clientY - g.y) / fy));
      crop();
    });
    const up = () => {
      if (!g) return;
      g = null;
      push({op: "shape", aspect: W.aspect, cx: +W.cx.toFixed(3), cy: +W.cy.toFixed(3)});
    };
    c.addEventListener("pointerup", up); c.addEventListener("pointercancel", up);
  })();
  for (const b of document.querySelectorAll("#shapes button")) {
    b.addEventListener("click", () => {
      W.aspect = b.dataset.aspect;
      push({op: "shape", aspect: W.aspect, cx: +W.cx.toFixed(3), cy: +W.cy.toFixed(3)});
      draw();
    });
  }

  // playback: the timeline's time T0 mapped to the segment's source time in its proxy ------------
  function at(t) {
    for (let i = 0; i < W.video.length; i++) if (t < W.video[i].st + W.video[i].d) return i;
    return W.video.length - 1;
  }
  function seek(t) {
    if (!W || !W.video.length) return;
    T0 = Math.max(0, Math.min(t, total() - 1));
    show(at(T0));
    const s = W.video[cur];
    if (s.src) {
      const want = (s.in + (T0 - s.st) * s.speed) / 1000;
      if (Math.abs(video.currentTime - want) > 0.05) video.currentTime = want;
    }
    playhead();
  }
  function show(i) {
    const s = W.video[i];
    if (i !== cur) {
      cur = i;
      const src = s.src && S.sources[s.src];
      if (src && video.dataset.src !== s.src) {
        video.dataset.src = s.src;
        video.src = base + "/" + src.url;
        video.currentTime = (s.in + (T0 - s.st) * s.speed) / 1000;
        if (playing) video.play().catch(() => {});
      }
      video.playbackRate = s.speed || 1;
      video.style.visibility = src ? "visible" : "hidden";
      $("card").style.display = src ? "none" : "block";
      $("card").style.background = s.card || "#202020";
      crop();
    }
  }
  function playhead() {
    $("ph").style.left = T0 * scale + "px";
    $("time").textContent = sec(T0) + L.s;
    const x = W.texts.find((x) => T0 >= x.st && T0 < x.st + x.d);
    $("ovl").textContent = x ? x.text : "";
  }
  let last = 0;
  function tick(now) {
    if (playing && W && W.video.length) {
      const s = W.video[cur];
      if (s.src) {
        T0 = s.st + ((video.currentTime * 1000) - s.in) / (s.speed || 1);
      } else {
        T0 += now - last;
      }
      if (T0 >= s.st + s.d - 20) {
        if (cur + 1 < W.video.length) { T0 = W.video[cur + 1].st; seek(T0); }
        else { T0 = 0; seek(0); }
      }
      playhead();
    }
    last = now;
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);

  $("play").addEventListener("click", () => {
    playing = !playing;
    $("play").textContent = playing ? "❚❚" : "▶";
    if (playing) video.play().catch(() => { video.muted = true; video.play().catch(() => {}); });
    else video.pause();
  });
  $("tl").addEventListener("pointerdown", (ev) => {
    if (ev.target.closest(".seg,.txt")) return;
    const r = $("tl-in").getBoundingClientRect();
    seek((ev.clientX - r.left) / scale);
  });
  $("split").addEventListener("click", () => {
    const i = at(T0), s = W.video[i], t0 = Math.round(T0 - s.st);
    if (t0 < MIN || t0 > s.d - MIN) return;
    const b = Object.assign({}, s, {in: s.src ? Math.round(s.in + t0 * s.speed) : s.in, d: s.d - t0});
    s.d = t0;
    W.video.splice(i + 1, 0, b);
    push({op: "split", at: Math.round(T0)});
    cur = -1; draw();
  });
  $("del").addEventListener("click", () => {
    if (sel === null || W.video.length < 2) return;
    W.video.splice(sel, 1);
    push({op: "delete", seg: sel});
    sel = null; cur = -1; draw(); seek(T0);
  });
  $("ttext").addEventListener("change", () => {
    if (tsel === null) return;
    const x = W.texts[tsel];
    x.text = $("ttext").value.trim() || x.text;
    push({op: "text", idx: tsel, st: x.st, d: x.d, text: x.text});
    draw();
  });
  $("tdel").addEventListener("click", () => {
    if (tsel === null) return;
    push({op: "text", idx: tsel, remove: true});
    W.texts.splice(tsel, 1); tsel = null; draw();
  });
  $("reset").addEventListener("click", () => { $("reset").disabled = true; $("apply").disabled = true; load(); });

  $("apply").addEventListener("click", async () => {
    if (document.activeElement === $("ttext")) $("ttext").dispatchEvent(new Event("change"));
    if (!E.length) { say(L.nothing); return; }
    $("apply").disabled = true;
    say(L.saving);
    try {
      const r = await call("apply", {version: S.version, edits: E});
      if (r.status === 200) { await load(); say(r.data.message); }
      else if (r.status === 409) { await load(r.data.message || L.conflict); }
      else { say(r.data.message || L.failed, true); $("apply").disabled = false; }
    } catch (e) { if (e.message !== "denied") { say(L.failed, true); $("apply").disabled = false; } }
    $("reset").disabled = !E.length;
  });

  $("export").addEventListener("click", async () => {
    if (E.length) { say(L.changed, true); return; }
    $("export").disabled = true;
    try {
      const r = await call("export", {});
      if (r.status !== 200) { say(r.data.message || L.failed, true); $("export").disabled = false; return; }
      if (r.data.chat) { say(r.data.message); tg("web_app_close"); $("export").disabled = false; return; }
      const rid = r.data.render;
      for (;;) {
        const st = (await call("render/" + encodeURIComponent(rid))).data;
        if (st.status === "completed") { say(L.done, false, st.output && st.output.url); break; }
        if (st.status === "failed" || st.status === "cancelled") { say(L.failed, true); break; }
        say(L.exporting + " " + (st.progress || 0) + "%");
        await new Promise((ok) => setTimeout(ok, 1500));
      }
    } catch (e) { if (e.message !== "denied") say(L.failed, true); }
    $("export").disabled = false;
  });

  window.addEventListener("resize", () => W && draw());
  tg("web_app_ready"); tg("web_app_expand");
  load().catch((e) => { if (e.message !== "denied") say(L.failed, true); });
})();
