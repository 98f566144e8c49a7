// Regenerates the committed protobuf conformance corpus from Baileys' proto.*.encode:
//   node wa/tests/node/gen_proto_vectors.mjs > wa/tests/vectors/proto.jsonl
// Each line: {"name", "type" (message name relative to the package), "json" (proto3 JSON form:
// lowerCamelCase names, bytes as base64, 64-bit integers as strings, enums by name), "hex"
// (Baileys' encoding)}. The gtest builds our message from "json" and checks its serialization ==
// hex, and parses hex and checks that re-serializing gives the same bytes.
import { proto, initAuthCreds, generateRegistrationNode, generateLoginNode, Browsers } from 'baileys';

const out = [];
const b = (n, seed) => Buffer.from(Array.from({ length: n }, (_, i) => (seed * 31 + i * 17) & 0xff));

function vector(name, type, object) {
  const T = type.split('.').reduce((o, k) => o[k], proto);
  const bytes = T.encode(object).finish();
  const json = T.toObject(T.decode(bytes), { longs: String, enums: String, bytes: String });
  out.push({ name, type, json, hex: Buffer.from(bytes).toString('hex') });
}

// --- handshake --------------------------------------------------------------------------------
vector('client hello', 'HandshakeMessage', { clientHello: { ephemeral: b(32, 1) } });
vector('server hello', 'HandshakeMessage', { serverHello: { ephemeral: b(32, 2), static: b(48, 3), payload: b(400, 4) } });
vector('client finish', 'HandshakeMessage', { clientFinish: { static: b(48, 5), payload: b(300, 6) } });

// --- certificates -----------------------------------------------------------------------------
const details = (serial, issuer, key, nb, na) =>
  proto.CertChain.NoiseCertificate.Details.encode({ serial, issuerSerial: issuer, key, notBefore: nb, notAfter: na }).finish();
vector('cert details', 'CertChain.NoiseCertificate.Details', { serial: 1, issuerSerial: 0, key: b(32, 7), notBefore: 1700000000, notAfter: 4102444800 });
vector('cert details zero serial', 'CertChain.NoiseCertificate.Details', { serial: 0, issuerSerial: 0, key: b(32, 8), notBefore: 0, notAfter: '18446744073709551615' });
vector('cert chain', 'CertChain', {
  intermediate: { details: details(1, 0, b(32, 9), 1700000000, 4102444800), signature: b(64, 10) },
  leaf: { details: details(2, 1, b(32, 11), 1700000000, 1800000000), signature: b(64, 12) },
});
vector('noise certificate', 'CertChain.NoiseCertificate', { details: details(3, 1, b(32, 13), 1, 2), signature: b(64, 14) });

// --- client payload (real ones from Baileys' own builders) ------------------------------------
const creds = initAuthCreds();
const config = { version: [2, 3000, 1023223821], browser: Browsers.ubuntu('Chrome'), countryCode: 'US', syncFullHistory: false };
vector('registration payload (Baileys generateRegistrationNode)', 'ClientPayload', generateRegistrationNode(creds, config));
vector('registration payload, full history', 'ClientPayload', generateRegistrationNode(creds, { ...config, syncFullHistory: true, browser: Browsers.macOS('Safari') }));
vector('login payload (Baileys generateLoginNode)', 'ClientPayload', generateLoginNode('15551234567:12@s.whatsapp.net', config));
vector('whatsmeow-style login payload', 'ClientPayload', {
  username: '15551234567', device: 3, passive: true, pull: true, lidDbMigrated: true, lc: 1, pushName: 'Alice',
  userAgent: { platform: 'WEB', appVersion: { primary: 2, secondary: 3000, tertiary: 1045649367 }, mcc: '000', mnc: '000',
    osVersion: '0.1', manufacturer: '', device: 'Desktop', osBuildNumber: '0.1', releaseChannel: 'RELEASE',
    localeLanguageIso6391: 'en', localeCountryIso31661Alpha2: 'US' },
  webInfo: { webSubPlatform: 'WEB_BROWSER' }, connectType: 'WIFI_UNKNOWN', connectReason: 'USER_ACTIVATED',
});
vector('pairing data', 'ClientPayload.DevicePairingRegistrationData', {
  eRegid: b(4, 15), eKeytype: Buffer.from([5]), eIdent: b(32, 16), eSkeyId: b(3, 17), eSkeyVal: b(32, 18),
  eSkeySig: b(64, 19), buildHash: b(16, 20), deviceProps: b(40, 21) });
vector('user agent', 'ClientPayload.UserAgent', { platform: 'MACOS', appVersion: { primary: 2, secondary: 3000, tertiary: 7, quaternary: 1 }, releaseChannel: 'BETA' });
vector('web info', 'ClientPayload.WebInfo', { webSubPlatform: 'DARWIN', refToken: 'r', version: '2.3000' });

// --- device props -----------------------------------------------------------------------------
vector('device props whatsmeow-style', 'DeviceProps', {
  os: 'whatsmeow', version: { primary: 0, secondary: 1, tertiary: 0 }, platformType: 'UNKNOWN', requireFullSync: false,
  historySyncConfig: { storageQuotaMb: 10240, inlineInitialPayloadInE2EeMsg: true, thumbnailSyncDaysLimit: 60,
    supportCallLogHistory: true, supportBotUserAgentChatHistory: true, supportCagReactionsAndPolls: true,
    supportBizHostedMsg: true, supportRecentSyncChunkMessageCountTuning: true, supportHostedGroupMsg: true,
    supportFbidBotChatHistory: true, supportAddOnHistorySyncMigration: true, supportMessageAssociation: true,
    supportGroupHistory: true, onDemandReady: true, supportGuestChat: true, completeOnDemandReady: true,
    fullSyncDaysLimit: 30, fullSyncSizeMbLimit: 100, recentSyncDaysLimit: 7 } });
vector('device props android phone', 'DeviceProps', { os: 'Android', platformType: 'ANDROID_PHONE', requireFullSync: true });

// --- ADV --------------------------------------------------------------------------------------
const advDetails = proto.ADVDeviceIdentity.encode({ rawId: 123456789, timestamp: 1700000000, keyIndex: 5, accountType: 'E2EE', deviceType: 'E2EE' }).finish();
vector('adv device identity', 'ADVDeviceIdentity', { rawId: 123456789, timestamp: 1700000000, keyIndex: 5, accountType: 'E2EE', deviceType: 'E2EE' });
vector('adv device identity hosted', 'ADVDeviceIdentity', { rawId: 1, timestamp: 2, keyIndex: 0, accountType: 'HOSTED', deviceType: 'HOSTED' });
const signed = { details: advDetails, accountSignatureKey: b(32, 22), accountSignature: b(64, 23), deviceSignature: b(64, 24) };
vector('adv signed device identity', 'ADVSignedDeviceIdentity', signed);
vector('adv signed device identity without key', 'ADVSignedDeviceIdentity', { ...signed, accountSignatureKey: undefined });
vector('adv hmac', 'ADVSignedDeviceIdentityHMAC', { details: proto.ADVSignedDeviceIdentity.encode(signed).finish(), hmac: b(32, 25) });
vector('adv hmac hosted', 'ADVSignedDeviceIdentityHMAC', { details: b(10, 26), hmac: b(32, 27), accountType: 'HOSTED' });
vector('adv key index list', 'ADVKeyIndexList', { rawId: 42, timestamp: 1700000001, currentIndex: 7, validIndexes: [0, 1, 5, 7, 300] });
vector('adv signed key index list', 'ADVSignedKeyIndexList', { details: b(20, 28), accountSignature: b(64, 29), accountSignatureKey: b(32, 30) });

// --- messages ---------------------------------------------------------------------------------
const ctx = { stanzaId: '3EB0C767D26A1D8E8A5F', participant: '15551234567@s.whatsapp.net', remoteJid: '120363000000000000@g.us',
  quotedMessage: { conversation: 'quoted' }, mentionedJid: ['15551234567@s.whatsapp.net', '123456789@lid'],
  forwardingScore: 3, isForwarded: true, expiration: 604800, ephemeralSettingTimestamp: 1700000000,
  groupMentions: [{ groupJid: '120363000000000001@g.us', groupSubject: 'Team' }] };
const media = { url: 'https://mmg.whatsapp.net/x', mimetype: 'image/jpeg', fileSha256: b(32, 31), fileLength: 123456,
  mediaKey: b(32, 32), fileEncSha256: b(32, 33), directPath: '/v/t62/x', mediaKeyTimestamp: 1700000000 };
const messages = {
  'conversation': { conversation: 'hello ✓ 😀' },
  'extended text with context': { extendedTextMessage: { text: 'hi @15551234567', contextInfo: ctx, matchedText: 'm', title: 't', description: 'd' } },
  'image': { imageMessage: { ...media, caption: 'cap', height: 480, width: 640, jpegThumbnail: b(100, 34), viewOnce: true, contextInfo: { mentionedJid: ['1@s.whatsapp.net'] } } },
  'video': { videoMessage: { url: media.url, mimetype: 'video/mp4', fileSha256: b(32, 35), fileLength: 99, seconds: 12, mediaKey: b(32, 36), caption: 'v', gifPlayback: false, height: 1, width: 2, fileEncSha256: b(32, 37), directPath: '/d', mediaKeyTimestamp: 5, jpegThumbnail: b(8, 38), viewOnce: false } },
  'audio ptt': { audioMessage: { url: media.url, mimetype: 'audio/ogg; codecs=opus', fileSha256: b(32, 39), fileLength: 5000, seconds: 3, ptt: true, mediaKey: b(32, 40), fileEncSha256: b(32, 41), directPath: '/a', mediaKeyTimestamp: 6, waveform: b(64, 42) } },
  'document with caption wrapper': { documentWithCaptionMessage: { message: { documentMessage: { ...media, mimetype: 'application/pdf', title: 'T', pageCount: 3, fileName: 'f.pdf', caption: 'c', jpegThumbnail: b(9, 43) } } } },
  'sticker': { stickerMessage: { url: media.url, fileSha256: b(32, 44), fileEncSha256: b(32, 45), mediaKey: b(32, 46), mimetype: 'image/webp', height: 512, width: 512, directPath: '/s', fileLength: 20000, mediaKeyTimestamp: 7, isAnimated: false, pngThumbnail: b(5, 47) } },
  'location': { locationMessage: { degreesLatitude: 52.52, degreesLongitude: -13.405, name: 'Berlin', address: 'Mitte', url: 'u', isLive: false, accuracyInMeters: 10, comment: 'c', jpegThumbnail: b(4, 48) } },
  'contact': { contactMessage: { displayName: 'Bob', vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Bob\nEND:VCARD' } },
  'reaction': { reactionMessage: { key: { remoteJid: '15551234567@s.whatsapp.net', fromMe: true, id: 'ABC', participant: '1@lid' }, text: '👍', senderTimestampMs: 1700000000123 } },
  'revoke': { protocolMessage: { key: { remoteJid: '120363000000000000@g.us', fromMe: true, id: 'XYZ' }, type: 'REVOKE' } },
  'edit': { protocolMessage: { key: { remoteJid: 'a@s.whatsapp.net', fromMe: true, id: 'E' }, type: 'MESSAGE_EDIT', editedMessage: { conversation: 'new' }, timestampMs: 1700000000999 } },
  'ephemeral setting': { protocolMessage: { type: 'EPHEMERAL_SETTING', ephemeralExpiration: 86400, ephemeralSettingTimestamp: 1700000000 } },
  'ephemeral wrapper': { ephemeralMessage: { message: { extendedTextMessage: { text: 'e', contextInfo: { expiration: 86400 } } } } },
  'view once wrapper': { viewOnceMessage: { message: { imageMessage: { ...media, viewOnce: true } } } },
  'view once v2 wrapper': { viewOnceMessageV2: { message: { videoMessage: { url: 'u', viewOnce: true } } } },
  'edited wrapper': { editedMessage: { message: { protocolMessage: { type: 'MESSAGE_EDIT', editedMessage: { conversation: 'x' } } } } },
  'device sent': { deviceSentMessage: { destinationJid: '15551234567@s.whatsapp.net', message: { conversation: 'to self' }, phash: '2:abcd' } },
  'skdm plus text': { senderKeyDistributionMessage: { groupId: '120363000000000000@g.us', axolotlSenderKeyDistributionMessage: b(80, 49) }, conversation: 'g' },
  'message context info': { conversation: 'x', messageContextInfo: { messageSecret: b(32, 50), deviceListMetadataVersion: 2, paddingBytes: b(3, 51) } },
};
for (const [name, m] of Object.entries(messages)) vector(`message: ${name}`, 'Message', m);
vector('context info', 'ContextInfo', ctx);
vector('message context info', 'MessageContextInfo', { messageSecret: b(32, 52) });
vector('message key', 'MessageKey', { remoteJid: 'r@g.us', fromMe: false, id: 'I', participant: 'p@s.whatsapp.net' });

for (const v of out) console.log(JSON.stringify(v));
