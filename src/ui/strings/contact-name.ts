/**
 * The words under a chat's heading about the contact's name (ContactNameNotice.tsx): the name they
 * announced, a look-alike of another contact's name, and the user's own name for them.
 */
export const theyCallThemselves = (announced: string): string => `They call themselves “${announced}”.`;
export const callsThemselves = (announced: string): string =>
  `Calls themselves “${announced}”. That is the name they chose; keep it or give them a name of your own.`;
export const looksLike = (other: string): string =>
  `This name looks like “${other}”, another of your contacts. This is a different person (a different key): someone new who uses a name like theirs.`;
export const aboutThisName = 'About this name';
export const keepThisName = 'Keep this name';
export const setAName = 'Set a name';
export const changeName = 'Change name';
export const yourNameForContact = 'Your name for this contact';
export const saveName = 'Save name';
export const cancel = 'Cancel';
