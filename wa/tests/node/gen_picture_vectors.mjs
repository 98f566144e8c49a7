// Regenerates the pictures of the media inspection tests with sharp (libvips, an independent
// encoder; installed with Baileys):  node wa/tests/node/gen_picture_vectors.mjs
// Writes wa/tests/vectors/pictures/<name>.<ext>; the dimensions are in the names.
import sharp from 'sharp'
import { writeFileSync } from 'node:fs'

const dir = new URL('../vectors/pictures/', import.meta.url)
const block = (w, h, alpha = false) => sharp({ create: { width: w, height: h, channels: alpha ? 4 : 3, background: alpha ? { r: 10, g: 120, b: 200, alpha: 0.5 } : { r: 200, g: 40, b: 90 } } })
writeFileSync(new URL('photo_640x480.jpg', dir), await block(640, 480).jpeg({ quality: 80 }).toBuffer())
writeFileSync(new URL('progressive_300x500.jpg', dir), await block(300, 500).jpeg({ progressive: true }).toBuffer())
writeFileSync(new URL('alpha_40x30.png', dir), await block(40, 30, true).png().toBuffer())
writeFileSync(new URL('sticker_512x512.webp', dir), await block(512, 512, true).webp().toBuffer())
writeFileSync(new URL('lossy_64x48.webp', dir), await block(64, 48).webp({ quality: 50 }).toBuffer())
writeFileSync(new URL('lossless_33x17.webp', dir), await block(33, 17).webp({ lossless: true }).toBuffer())
