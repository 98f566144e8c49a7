// Regenerates the committed ADV corpus from Baileys (npm baileys@7.0.0-rc14):
//   node wa/tests/pairing/gen_adv_vectors.mjs > wa/tests/pairing/vectors/adv.jsonl
// The phone side is built with Baileys' own primitives (Curve, proto, HMAC, as the emulator does);
// Baileys' configureSuccessfulPairing then verifies it as a companion and makes its reply. Each
// line: {name, ok, baileysAccepted, advSecret, identityPriv, identityPub, accountKey, container,
// keyIndex, replyIdentity (Baileys' <device-identity> content when it accepted)}, bytes as hex.
// `ok` also requires the account signature to verify with npm libsignal's verifySignature:
// Baileys' Curve.verify ignores that function's boolean result, so Baileys alone accepts forged
// account signatures (baileysAccepted=true, ok=false); we must reject them.
import { createHmac } from 'crypto';
import { proto, configureSuccessfulPairing } from 'baileys';
import { Curve } from 'baileys/lib/Utils/crypto.js';
import * as curve from 'libsignal/src/curve.js';

const hex = (b) => Buffer.from(b).toString('hex');

function makeCase(name, { hostedAccount = false, hostedDevice = false, keyIndex = 3, breakHmac = false, breakSig = false }) {
  const ours = Curve.generateKeyPair();
  const account = Curve.generateKeyPair();
  const advSecret = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 13 + name.length) & 0xff));
  const details = Buffer.from(proto.ADVDeviceIdentity.encode({
    rawId: 777, timestamp: 1700000123, keyIndex, accountType: hostedAccount ? 1 : 0, deviceType: hostedDevice ? 1 : 0
  }).finish());
  const prefix = Buffer.from([6, hostedDevice ? 5 : 0]);
  const accountSignature = Buffer.from(Curve.sign(account.private, Buffer.concat([prefix, details, ours.public])));
  if (breakSig) accountSignature[7] ^= 1;
  const signed = Buffer.from(proto.ADVSignedDeviceIdentity.encode({
    details, accountSignatureKey: account.public, accountSignature
  }).finish());
  const hmac = createHmac('sha256', advSecret)
    .update(Buffer.concat([hostedAccount ? Buffer.from([6, 5]) : Buffer.alloc(0), signed])).digest()
  if (breakHmac) hmac[0] ^= 1;
  const container = Buffer.from(proto.ADVSignedDeviceIdentityHMAC.encode({
    details: signed, hmac, ...(hostedAccount ? { accountType: 1 } : {})
  }).finish());
  const stanza = {
    tag: 'iq', attrs: { id: 'PS.1', type: 'set', from: '@s.whatsapp.net' },
    content: [{ tag: 'pair-success', attrs: {}, content: [
      { tag: 'device-identity', attrs: {}, content: container },
      { tag: 'platform', attrs: { name: 'android' } },
      { tag: 'device', attrs: { jid: '4915100000000:2@s.whatsapp.net', lid: '100000000000001:2@lid' } }
    ] }]
  };
  let baileysAccepted = true, replyIdentity;
  try {
    const { reply } = configureSuccessfulPairing(stanza, { advSecretKey: advSecret.toString('base64'), signedIdentityKey: ours });
    replyIdentity = hex(reply.content[0].content[0].content);
    if (reply.content[0].content[0].attrs['key-index'] !== String(keyIndex)) throw new Error('key-index');
  } catch (e) {
    baileysAccepted = false;
  }
  const signatureValid = curve.verifySignature(Buffer.concat([Buffer.from([5]), account.public]),
    Buffer.concat([prefix, details, ours.public]), accountSignature) === true;
  const ok = baileysAccepted && signatureValid;
  return {
    name, ok, baileysAccepted, advSecret: hex(advSecret), identityPriv: hex(ours.private), identityPub: hex(ours.public),
    accountKey: hex(account.public), container: hex(container), keyIndex,
    ...(baileysAccepted ? { replyIdentity } : {})
  };
}

const cases = [
  makeCase('e2ee', {}),
  makeCase('hosted account', { hostedAccount: true }),
  makeCase('hosted device', { hostedDevice: true }),
  makeCase('hosted account and device', { hostedAccount: true, hostedDevice: true, keyIndex: 200 }),
  makeCase('bad hmac', { breakHmac: true }),
  makeCase('bad account signature', { breakSig: true }),
  makeCase('bad account signature hosted', { breakSig: true, hostedDevice: true })
];
for (const c of cases) process.stdout.write(JSON.stringify(c) + '\n');
