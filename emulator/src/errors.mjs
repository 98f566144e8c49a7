// Named error types; the control API maps `status` to HTTP codes in one place (control.mjs).
export class ClientPayloadError extends Error {}
export class ControlError extends Error {
  constructor (status, message) { super(message); this.status = status }
}
