// Drives Stringee's web SDK (npm "stringee") against a server, printing one JSON line per event.
// usage: node scenario.js <ws-url> <token> <peer-user-id>
'use strict';
const [url, token, peer] = process.argv.slice(2);
const out = (event, data) => process.stdout.write(JSON.stringify({ event, ...data }) + '\n');

// The browser globals the SDK touches, and nothing more.
const store = new Map();
global.localStorage = { getItem: k => (store.has(k) ? store.get(k) : null), setItem: (k, v) => store.set(k, String(v)), removeItem: k => store.delete(k) };
global.screen = { width: 1280, height: 720 };
if (typeof navigator === 'undefined') global.navigator = { userAgent: 'node' };
// Node 22+ has a WebSocket global; older Node gets the ws package's, which has the same browser API.
if (typeof WebSocket === 'undefined') global.WebSocket = require(require('path').join(__dirname, 'node_modules', 'ws'));
global.window = global;

const sdk = require(require('path').join(__dirname, 'node_modules', 'stringee'));
const { StringeeClient, StringeeChat2 } = sdk;
// In a browser the bundle's classes are globals; StringeeChat2's Conversation.sendMessage reads this one.
global.StringeeServiceType = sdk.StringeeServiceType;
const client = new StringeeClient([url]);
const deadline = setTimeout(() => { out('timeout', {}); process.exit(3); }, 20000);
const seen = { message: false, typing: false, read: false };
const done = () => { if (seen.message && seen.typing && seen.read) { out('done', {}); clearTimeout(deadline); client.disconnect(); setTimeout(() => process.exit(0), 100); } };

client.on('authen', res => {
  out('authen', { r: res.r, userId: res.userId });
  if (res.r !== 0) process.exit(2);
  StringeeChat2.init(client);
  StringeeChat2.createConversation(client, [peer], { name: 'interop', isDistinct: false, isGroup: true })
    .then(conv => {
      out('created', { convId: conv.id });
      return conv.sendMessage(1, { content: 'hello from the web sdk' }).then(msg => out('sent', { seq: msg.seq, id: msg.id }));
    })
    .catch(e => { out('error', { detail: String(e && e.stack || JSON.stringify(e)) }); process.exit(4); });
});
client.on('chatmessage', m => {
  if (m.from === peer) { seen.message = true; out('message', { from: m.from, content: m.message && m.message.content, seq: m.seq }); done(); }
});
client.on('userBeginTypingListener', t => { seen.typing = true; out('typing', { userId: t.userId }); done(); });
client.on('chatmessagestate', s => { if (s.status === 2) { seen.read = true; out('read', { from: s.from, lastMsgSeq: s.lastMsgSeq }); done(); } });
client.connect(token);
