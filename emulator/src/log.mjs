// Bounded, sequence-numbered event log served by GET /log?since=N.
// Events are plain objects: { seq, ts, kind, ...details }.

export class EventLog {
  /** @param {{limit?: number, echo?: (e: object) => void}} opts */
  constructor ({ limit = 20000, echo } = {}) {
    this.limit = limit
    this.events = []
    this.nextSeq = 0
    this.echo = echo
  }

  add (kind, details = {}) {
    const event = { seq: this.nextSeq++, ts: Date.now(), kind, ...details }
    this.events.push(event)
    if (this.events.length > this.limit) this.events.splice(0, this.events.length - this.limit)
    if (this.echo) this.echo(event)
    return event
  }

  /** Events with seq >= since; `next` is what to pass next time. */
  since (since = 0) {
    const events = this.events.filter(e => e.seq >= since)
    return { next: this.nextSeq, events }
  }
}
