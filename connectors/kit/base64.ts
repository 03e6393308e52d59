/** Base64 over bytes: `btoa` alone only takes Latin-1 strings, and credentials and JWTs are UTF-8. */

export function base64FromBytes(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function base64FromText(text: string): string {
  return base64FromBytes(new TextEncoder().encode(text));
}

/** RFC 4648 §5, unpadded, as JWTs use it (RFC 7515 §2). */
export function base64Url(bytes: Uint8Array): string {
  return base64FromBytes(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function bytesFromBase64(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/").replace(/\s+/g, ""));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
