// Writes the committed libFuzzer seed corpora of the wa fuzzers from the conformance vectors:
//   node wa/tests/node/gen_fuzz_seeds.mjs
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const read = (f) => fs.readFileSync(path.join(root, 'wa/tests/vectors', f), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const put = (name, i, buf) => {
  const dir = path.join(root, 'fuzz/corpus', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `seed-${String(i).padStart(3, '0')}`), buf);
};

// Node decoder: the small vectors (whole payloads with flag byte), including the rejected ones.
const nodes = read('nodes.jsonl').filter((v) => v.hex.length <= 4000);
nodes.slice(0, 120).forEach((v, i) => put('wa_node', i, Buffer.from(v.hex, 'hex')));

// Frame reader: byte 0 = chunk size, byte 1 = frame bound selector, then frames.
const frame = (p) => Buffer.concat([Buffer.from([p.length >> 16, (p.length >> 8) & 0xff, p.length & 0xff]), p]);
nodes.slice(0, 20).forEach((v, i) => {
  const p = Buffer.from(v.hex, 'hex');
  put('wa_frame', i, Buffer.concat([Buffer.from([i * 13 & 0xff, i % 2 ? 200 : 50]), frame(p), frame(p.subarray(0, p.length >> 1))]));
});

// Protobuf entry points.
const byType = {
  handshake: 'HandshakeMessage', cert_chain: 'CertChain', cert_details: 'CertChain.NoiseCertificate.Details',
  client_payload: 'ClientPayload', device_props: 'DeviceProps', adv_hmac: 'ADVSignedDeviceIdentityHMAC',
  adv_signed_identity: 'ADVSignedDeviceIdentity', adv_device_identity: 'ADVDeviceIdentity',
  adv_key_index_list: 'ADVKeyIndexList', message: 'Message',
};
const protos = read('proto.jsonl');
for (const [short, type] of Object.entries(byType)) {
  protos.filter((v) => v.type === type).forEach((v, i) => put(`wa_proto_${short}`, i, Buffer.from(v.hex, 'hex')));
}
