/** The words of a contact's security log in the chat (SecurityLog.tsx). */
export const securityLog = 'Security log';
export const summary = (count: number): string => `Security log (${count})`;
export const nothingYet = 'Nothing yet.';
