// The noVNC console page (ganeti/templates/ganeti/instance_console.html). Connect POSTs for a single-use
// token (the JSON answer names the websocket URL) and hands it to noVNC's RFB; every connection asks
// for a new one. Ctrl-Alt-Del, sticky Ctrl and Alt, paste-as-keystrokes (Enter types, Esc cancels) and
// scale-to-fit. window.consoleState tells tests where it is: idle, asking, connecting, connected,
// disconnected, failed.
const root = document.getElementById("console");
const strings = JSON.parse(document.getElementById("console-strings").textContent);
const { default: RFB } = await import(root.dataset.rfb);
const { default: keysyms } = await import(root.dataset.keysyms);

const KEY = { ctrl: [0xffe3, "ControlLeft"], alt: [0xffe9, "AltLeft"], enter: [0xff0d, "Enter"],
              tab: [0xff09, "Tab"] };
const $ = (id) => document.getElementById(id);
const status = $("console-status");
const connectButton = $("console-connect");
const disconnectButton = $("console-disconnect");
const liveControls = ["console-disconnect", "console-cad", "console-ctrl", "console-alt", "console-paste",
                      "console-paste-send"].map($);
const sticky = { ctrl: $("console-ctrl"), alt: $("console-alt") };
const paste = $("console-paste");
const scale = $("console-scale");
let rfb = null;

function setState(state, text, level) {
  window.consoleState = state;
  status.textContent = text;
  status.className = "small mb-2" + (level ? " text-" + level : "");
}

function setConnected(connected) {
  liveControls.forEach((element) => { element.disabled = !connected; });
  connectButton.disabled = connected;
  if (!connected) {
    Object.values(sticky).forEach((button) => {
      button.setAttribute("aria-pressed", "false");
      button.classList.remove("active");
    });
  }
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) { return decodeURIComponent(match[1]); }
  const headers = document.body.getAttribute("hx-headers");
  return headers ? JSON.parse(headers)["X-CSRFToken"] : "";
}

async function connect() {
  if (rfb) { return; }
  connectButton.disabled = true;
  setState("asking", strings.asking);
  let answer;
  try {
    const response = await fetch(root.dataset.tokenUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
    });
    // An ended session is sent to the login page, which is HTML.
    if (response.redirected) { throw new Error(strings.session); }
    if (!(response.headers.get("Content-Type") || "").startsWith("application/json")) {
      throw new Error(response.status + " " + response.statusText);
    }
    answer = await response.json();
    if (!response.ok) { throw new Error(answer.error ? answer.error.message : response.statusText); }
  } catch (error) {
    setState("failed", strings.failed + " " + error.message, "danger");
    connectButton.disabled = false;
    return;
  }
  setState("connecting", strings.connecting);
  rfb = new RFB($("console-screen"), answer.url, { shared: true });
  rfb.scaleViewport = scale.checked;
  rfb.background = "#000";
  rfb.addEventListener("connect", () => {
    setState("connected", strings.connected, "success");
    setConnected(true);
    rfb.focus();
  });
  rfb.addEventListener("disconnect", (event) => {
    rfb = null;
    setConnected(false);
    if (event.detail.clean) {
      setState("disconnected", strings.disconnected);
    } else {
      setState("disconnected", strings.lost, "danger");
    }
  });
  rfb.addEventListener("securityfailure", (event) => {
    setState("failed", strings.security + " " + (event.detail.reason || event.detail.status), "danger");
  });
}

function toggle(name) {
  if (!rfb) { return; }
  const button = sticky[name];
  const down = button.getAttribute("aria-pressed") !== "true";
  rfb.sendKey(KEY[name][0], KEY[name][1], down);
  button.setAttribute("aria-pressed", String(down));
  button.classList.toggle("active", down);
  rfb.focus();
}

function typeText(text) {
  if (!rfb) { return; }
  for (const char of text) {
    if (char === "\n" || char === "\r") {
      rfb.sendKey(KEY.enter[0], KEY.enter[1]);
    } else if (char === "\t") {
      rfb.sendKey(KEY.tab[0], KEY.tab[1]);
    } else {
      rfb.sendKey(keysyms.lookup(char.codePointAt(0)), null);
    }
  }
}

connectButton.addEventListener("click", connect);
disconnectButton.addEventListener("click", () => { if (rfb) { rfb.disconnect(); } });
$("console-cad").addEventListener("click", () => { if (rfb) { rfb.sendCtrlAltDel(); rfb.focus(); } });
sticky.ctrl.addEventListener("click", () => toggle("ctrl"));
sticky.alt.addEventListener("click", () => toggle("alt"));
scale.addEventListener("change", () => { if (rfb) { rfb.scaleViewport = scale.checked; } });
$("console-paste-form").addEventListener("submit", (event) => {
  event.preventDefault();
  typeText(paste.value);
  paste.value = "";
  if (rfb) { rfb.focus(); }
});
paste.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    event.preventDefault();
    paste.value = "";
    if (rfb) { rfb.focus(); }
  }
});

window.consoleState = "idle";
connect();
