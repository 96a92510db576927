/**
 * The words of the search over contacts and messages (ConversationSearch.tsx), which loads after
 * the list.
 */
export const search = 'Search';
export const results = 'Search results';
export const nothingMatches = (query: string): string => `Nothing on this device matches “${query}”.`;
const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
export const found = (contacts: number, messages: number): string =>
  `${count(contacts, 'contact', 'contacts')} and ${count(messages, 'message', 'messages')} found.`;
export const contactsHeading = 'Contacts';
export const contactsFound = 'Contacts found';
export const messagesHeading = 'Messages';
export const messagesFound = 'Messages found';
export const youTo = (name: string): string => `You to ${name}`;
export const unknownContact = 'Unknown';
