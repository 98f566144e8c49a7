// Connection header and 3-byte length framing (docs/PROTOCOL.md §1.2). Pure: bytes in, frames out.
import { EDGE_ROUTING_PREFIX, MAX_FRAME, MAX_CLIENT_FRAME, WA_HEADER } from './constants.mjs'

export class FrameError extends Error {}

/** Reassembles frames from arbitrary WebSocket message boundaries; strips the one-time intro header. */
export class FrameReader {
  constructor ({ maxFrame = MAX_CLIENT_FRAME } = {}) {
    this.buf = Buffer.alloc(0)
    this.headerDone = false
    this.maxFrame = maxFrame
  }

  /** @returns {Buffer[]} complete frames; throws FrameError on a bad header. */
  push (chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk)
    if (!this.headerDone && !this.consumeHeader()) return []
    const frames = []
    while (this.buf.length >= 3) {
      const size = this.buf.readUIntBE(0, 3)
      if (size > this.maxFrame) throw new FrameError(`frame of ${size} bytes exceeds the limit`)
      if (this.buf.length < 3 + size) break
      frames.push(this.buf.subarray(3, 3 + size))
      this.buf = this.buf.subarray(3 + size)
    }
    return frames
  }

  consumeHeader () {
    let off = 0
    if (this.buf.length >= 2 && this.buf[0] === EDGE_ROUTING_PREFIX[0] && this.buf[1] === EDGE_ROUTING_PREFIX[1]) {
      if (this.buf.length < 7) return false
      if (!this.buf.subarray(0, 4).equals(EDGE_ROUTING_PREFIX)) throw new FrameError('bad edge-routing prefix')
      off = 7 + this.buf.readUIntBE(4, 3)
    }
    if (this.buf.length < off + 4) {
      if (!WA_HEADER.subarray(0, this.buf.length - off).equals(this.buf.subarray(off))) throw new FrameError('bad connection header')
      return false
    }
    if (!this.buf.subarray(off, off + 4).equals(WA_HEADER)) {
      throw new FrameError(`bad connection header ${this.buf.subarray(off, off + 4).toString('hex')}`)
    }
    this.buf = this.buf.subarray(off + 4)
    this.headerDone = true
    return true
  }
}

/** 3-byte length prefix + payload; the server never sends the header. */
export const encodeFrame = (payload) => {
  if (payload.length > MAX_FRAME) throw new FrameError('outgoing frame too large')
  const out = Buffer.alloc(3 + payload.length)
  out.writeUIntBE(payload.length, 0, 3)
  payload.copy(out, 3)
  return out
}
