/** Tells a worker invite link (`…#join=<version>.…`) from a manual invite code. */
export function isInviteLink(text: string): boolean {
  return /#?join=\d+\./.test(text.trim());
}
