// Regenerates the message-content corpus from Baileys (an independent implementation):
//   node wa/tests/node/gen_message_vectors.mjs > wa/tests/vectors/messages.jsonl
// Each line is one of:
//   {"kind":"content", "name", "hex" (proto.Message.encode), "expect": {...}}
//     expect.type comes from Baileys' getContentType(normalizeMessageContent(msg)) mapped to our
//     content types; text, mentions, quoted and media fields are read back from Baileys' decode.
//   {"kind":"message_id", "unix", "user", "random" (hex16), "id"}  computed with node:crypto
//   {"kind":"phash", "jids": [...], "hash"}                          computed with node:crypto
import { proto, normalizeMessageContent, getContentType } from 'baileys';
import crypto from 'node:crypto';

const out = [];
const bytes = (n, seed) => Buffer.from(Array.from({ length: n }, (_, i) => (seed * 29 + i * 13) & 0xff));

const TYPE = {
  conversation: 'text', extendedTextMessage: 'text', imageMessage: 'image', videoMessage: 'video',
  audioMessage: 'audio', documentMessage: 'document', stickerMessage: 'sticker',
  locationMessage: 'location', contactMessage: 'contact', reactionMessage: 'reaction',
  pollCreationMessage: 'poll', pollCreationMessageV2: 'poll', pollCreationMessageV3: 'poll',
  protocolMessage: 'protocol',
};

function contextOf(m) {
  const key = getContentType(m);
  return key && m[key] && typeof m[key] === 'object' ? m[key].contextInfo : undefined;
}

function textOf(m) {
  const key = getContentType(m);
  const c = m[key];
  if (key === 'conversation') return c;
  if (!c || typeof c !== 'object') return '';
  if (key === 'extendedTextMessage') return c.text ?? '';
  if (key === 'locationMessage') return c.name || c.address || '';
  if (key === 'contactMessage') return c.displayName ?? '';
  if (key === 'reactionMessage') return c.text ?? '';
  if (key.startsWith('pollCreationMessage')) return c.name ?? '';
  return c.caption ?? '';
}

function content(name, message) {
  const encoded = proto.Message.encode(message).finish();
  const decoded = proto.Message.decode(encoded);
  let top = decoded;
  let deviceSent = null;
  if (top.deviceSentMessage?.message) {
    deviceSent = top.deviceSentMessage.destinationJid;
    top = top.deviceSentMessage.message;
  }
  const m = normalizeMessageContent(top);
  const key = getContentType(m);
  const ctx = contextOf(m);
  const expect = { type: key ? (TYPE[key] ?? 'unknown') : 'none', text: key ? textOf(m) : '' };
  expect.mentioned = ctx?.mentionedJid ?? [];
  if (ctx?.stanzaId) {
    const q = normalizeMessageContent(ctx.quotedMessage);
    const qk = q ? getContentType(q) : undefined;
    expect.quoted = {
      id: ctx.stanzaId, participant: ctx.participant ?? '',
      type: qk ? (TYPE[qk] ?? 'unknown') : 'unknown', text: qk ? textOf(q) : '',
    };
  }
  const media = key && m[key] && m[key].mediaKey ? m[key] : null;
  if (media) {
    expect.media = {
      url: media.url ?? '', direct_path: media.directPath ?? '', mimetype: media.mimetype ?? '',
      media_key: Buffer.from(media.mediaKey).toString('hex'),
      file_sha256: Buffer.from(media.fileSha256 ?? []).toString('hex'),
      file_enc_sha256: Buffer.from(media.fileEncSha256 ?? []).toString('hex'),
      file_length: Number(media.fileLength ?? 0), file_name: media.fileName ?? '',
    };
  }
  if (deviceSent !== null) expect.device_sent_destination = deviceSent;
  const skdm = decoded.senderKeyDistributionMessage ?? top.senderKeyDistributionMessage;
  if (skdm) expect.skdm_group = skdm.groupId;
  out.push({ kind: 'content', name, hex: Buffer.from(encoded).toString('hex'), expect });
}

const ctx = (extra = {}) => ({ mentionedJid: [], ...extra });
const media = (seed) => ({
  url: `https://mmg.example/${seed}`, directPath: `/v/t62/${seed}`, mediaKey: bytes(32, seed),
  fileSha256: bytes(32, seed + 1), fileEncSha256: bytes(32, seed + 2), fileLength: 1000 + seed,
});

content('conversation', { conversation: 'hello there' });
content('unicode conversation', { conversation: 'héllo 👋 مرحبا' });
content('extended text with pn mentions', {
  extendedTextMessage: { text: '@15550001111 hi @15550002222', contextInfo: ctx({ mentionedJid: ['15550001111@s.whatsapp.net', '15550002222@s.whatsapp.net'] }) },
});
content('extended text with lid mention', {
  extendedTextMessage: { text: '@99887766 ping', contextInfo: ctx({ mentionedJid: ['99887766@lid'] }) },
});
content('quoted reply', {
  extendedTextMessage: {
    text: 'yes', contextInfo: { stanzaId: '3EB0ABCDEF0123456789AB', participant: '15550001111@s.whatsapp.net', quotedMessage: { conversation: 'are you there?' } },
  },
});
content('quoted reply to image in lid group', {
  extendedTextMessage: {
    text: 'nice', contextInfo: { stanzaId: 'ABC', participant: '123456789@lid', quotedMessage: { imageMessage: { caption: 'sunset', ...media(5) } }, mentionedJid: ['123456789@lid'] },
  },
});
content('image with caption', { imageMessage: { caption: 'look', mimetype: 'image/jpeg', ...media(1), contextInfo: ctx({ mentionedJid: ['15550003333@s.whatsapp.net'] }) } });
content('video', { videoMessage: { caption: 'clip', mimetype: 'video/mp4', ...media(2) } });
content('audio', { audioMessage: { mimetype: 'audio/ogg; codecs=opus', ptt: true, ...media(3) } });
content('document', { documentMessage: { fileName: 'report.pdf', mimetype: 'application/pdf', ...media(4) } });
content('document with caption', { documentWithCaptionMessage: { message: { documentMessage: { fileName: 'a.txt', caption: 'see attached', mimetype: 'text/plain', ...media(6) } } } });
content('sticker', { stickerMessage: { mimetype: 'image/webp', ...media(7) } });
content('location', { locationMessage: { degreesLatitude: 1.5, degreesLongitude: 2.5, name: 'Cafe' } });
content('contact', { contactMessage: { displayName: 'Ann', vcard: 'BEGIN:VCARD\nEND:VCARD' } });
content('reaction', { reactionMessage: { key: { id: 'X1', remoteJid: '1@s.whatsapp.net', fromMe: false }, text: '👍' } });
content('poll', { pollCreationMessage: { name: 'Lunch?', options: [{ optionName: 'yes' }, { optionName: 'no' }], selectableOptionsCount: 1 } });
content('poll v3', { pollCreationMessageV3: { name: 'Dinner?', options: [{ optionName: 'a' }] } });
content('ephemeral text', { ephemeralMessage: { message: { extendedTextMessage: { text: 'vanishing', contextInfo: ctx({ mentionedJid: ['42@lid'] }) } } } });
content('view once image', { viewOnceMessage: { message: { imageMessage: { caption: 'once', ...media(8) } } } });
content('view once v2 video', { viewOnceMessageV2: { message: { videoMessage: { caption: 'once v2', ...media(9) } } } });
content('ephemeral view once', { ephemeralMessage: { message: { viewOnceMessage: { message: { imageMessage: { caption: 'nested', ...media(10) } } } } } });
content('edited', { editedMessage: { message: { conversation: 'fixed typo' } } });
content('device sent', { deviceSentMessage: { destinationJid: '15550004444@s.whatsapp.net', message: { conversation: 'from my phone' } } });
content('protocol revoke', { protocolMessage: { key: { id: 'X2' }, type: 0 } });
content('sender key distribution only', { senderKeyDistributionMessage: { groupId: '120363000000000001@g.us', axolotlSenderKeyDistributionMessage: bytes(40, 11) } });
content('skdm with text', {
  senderKeyDistributionMessage: { groupId: '120363000000000002@g.us', axolotlSenderKeyDistributionMessage: bytes(40, 12) },
  conversation: 'first group message',
});
content('message context only', { messageContextInfo: { messageSecret: bytes(32, 13) } });

const user = '15550009999';
for (const [unix, seed] of [[1700000000, 1], [1800000000, 2], [0, 3]]) {
  const random = bytes(16, seed);
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(unix));
  const digest = crypto.createHash('sha256').update(Buffer.concat([ts, Buffer.from(user), Buffer.from('@c.us'), random])).digest();
  out.push({ kind: 'message_id', unix, user, random: random.toString('hex'), id: `3EB0${digest.subarray(0, 9).toString('hex').toUpperCase()}` });
}
for (const jids of [['15550001111:1@s.whatsapp.net', '15550001111@s.whatsapp.net', '15550002222:3@s.whatsapp.net'], ['99887766:2@lid'], []]) {
  const joined = [...jids].sort().join('');
  const hash = `2:${crypto.createHash('sha256').update(joined).digest().subarray(0, 6).toString('base64').replace(/=+$/, '')}`;
  out.push({ kind: 'phash', jids, hash });
}

for (const line of out) process.stdout.write(`${JSON.stringify(line)}\n`);
