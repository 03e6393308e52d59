/** A bad control-API request (the test's fault, not the fake API's): answered 400 with a plain message. */
export class ControlError extends Error {}
