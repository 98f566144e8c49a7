// Protocol constants in one place (docs/PROTOCOL.md §1, §4, §9). A protocol change is a one-line diff here.

/** Connection header a client sends once: 'W' 'A', magic 6, dictionary version 3 (§1.2). */
export const WA_HEADER = Buffer.from([0x57, 0x41, 6, 3])
/** Baileys' optional edge-routing intro prefix ('E' 'D' 0 1) before the WA header (§1.2). */
export const EDGE_ROUTING_PREFIX = Buffer.from([0x45, 0x44, 0, 1])
/** 32-byte Noise protocol name, used unhashed as h and ck (§1.3). */
export const NOISE_MODE = Buffer.from('Noise_XX_25519_AESGCM_SHA256\0\0\0\0')
/** Largest frame payload: 3-byte length prefix (§1.2). */
export const MAX_FRAME = (1 << 24) - 1
/** Largest frame the emulator accepts from a client (an 812-prekey upload is ~40 KB). */
export const MAX_CLIENT_FRAME = 4 * 1024 * 1024
/** Server JID: always written as a JID pair with an empty user (§3.3). */
export const S_WHATSAPP_NET = '@s.whatsapp.net'
export const GROUP_SERVER = 'g.us'
/** Intermediate certificate issuer serial the clients check (§1.4). */
export const CERT_ISSUER_SERIAL = 0
export const CERT_INTERMEDIATE_SERIAL = 1
export const CERT_LEAF_SERIAL = 2
/** ADV signature prefixes (§4.2). */
export const ADV_ACCOUNT_SIG_PREFIX = Buffer.from([6, 0])
export const ADV_DEVICE_SIG_PREFIX = Buffer.from([6, 1])
/** QR refs per pair-device and their lifetimes (§4.1). */
export const QR_REF_COUNT = 6
export const QR_FIRST_TTL_MS = 60_000
export const QR_NEXT_TTL_MS = 20_000
/** Prekeys: below this server count the client is told to upload (§5.1). */
export const LOW_PREKEY_THRESHOLD = 5
/** Stream error codes and failure reasons (§9). */
export const STREAM_RESTART_REQUIRED = '515'
export const FAILURE_LOGGED_OUT = '401'
/** Link-code pairing (§4.3). */
export const LINK_CODE_PBKDF2_ITERATIONS = 2 << 16
export const LINK_CODE_BUNDLE_INFO = 'link_code_pairing_key_bundle_encryption_key'
export const LINK_CODE_ADV_INFO = 'adv_secret'
/** Platform name the emulated phone reports in pair-success. */
export const PHONE_PLATFORM = 'android'
/** Default key index the phone assigns to new companion devices starts here. */
export const FIRST_COMPANION_DEVICE_ID = 1
