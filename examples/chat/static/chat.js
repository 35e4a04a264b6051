// The chat page: join a room over a websocket (the session cookie says who you are).
let socket = null;
const log = document.getElementById("log");
const status = document.getElementById("status");

function show(text, kind) {
  const item = document.createElement("li");
  item.textContent = text;
  if (kind) item.className = kind;
  log.appendChild(item);
}

document.getElementById("join").onsubmit = (event) => {
  event.preventDefault();
  if (socket) socket.close();
  const room = encodeURIComponent(document.getElementById("room").value);
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws/${room}`);
  socket.onopen = () => {
    status.textContent = `Connected to ${decodeURIComponent(room)}.`;
    document.getElementById("text").disabled = false;
    document.getElementById("send").disabled = false;
  };
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "message") show(`${message.name}: ${message.text}`, "message");
    else if (message.type === "gap") show("(some messages may have been lost)", "presence");
    else show(`${message.name} ${message.type === "join" ? "joined" : "left"} (${message.members.join(", ")})`, "presence");
  };
  socket.onclose = (event) => { status.textContent = `Disconnected (${event.code}).`; };
};

document.getElementById("say").onsubmit = (event) => {
  event.preventDefault();
  const input = document.getElementById("text");
  if (socket && input.value) socket.send(input.value);
  input.value = "";
};

// Who is where, pushed by the server (server-sent events) whenever someone joins or leaves.
const activity = new EventSource("/activity");
activity.addEventListener("rooms", (event) => {
  const list = document.getElementById("rooms");
  list.replaceChildren();
  for (const [room, members] of Object.entries(JSON.parse(event.data))) {
    const item = document.createElement("li");
    item.textContent = `${room}: ${members.join(", ")}`;
    list.appendChild(item);
  }
});
