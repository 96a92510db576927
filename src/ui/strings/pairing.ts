/**
 * The words of the pairing screen (PairPage.tsx): invite someone by link or by code, join someone
 * by camera, picture, pasted code or opened link, and the steps in between.
 */
export const heading = 'Pair with someone';
export const cancelPairing = 'Cancel pairing';
export const openedInvite = 'You opened an invite. Press Join to connect.';

export const inviteHeading = 'Invite someone';
export const createInviteLink = 'Create invite link';
export const createInviteCode = 'Create invite code (no server)';
export const linksNeedServer =
  'Invite links need a signaling server (set one in Settings); invite codes work without one.';

export const joinHeading = 'Join someone';
export const scanInvite = 'Scan their invite';
export const pasteInvite = 'Paste an invite code or link';
export const join = 'Join';

export const preparingInviteCode = 'Preparing your invite code…';
export const connectingToInviter = 'Connecting to the person who invited you…';
export const preparingAnswerCode = 'Preparing your answer code…';
export const connecting = 'Connecting…';

export const showLink = 'Show this QR code to the other person, or send them the link. It works once.';
export const linkQr = 'QR code of the invite link';
export const inviteLink = 'Invite link';
export const copyLink = 'Copy link';
export const waitingForLink = 'Waiting for the other person to open the link…';

export const showCode = '1. Show this code to the other person (scan or copy it).';
export const codeQr = 'QR code of the invite code';
export const inviteCode = 'Invite code';
export const copyCode = 'Copy code';
export const scanAnswer = '2. Scan their answer code';
export const pasteAnswer = '2. Paste their answer code';
export const connect = 'Connect';

export const showAnswer = 'Show this answer code to the person who invited you.';
export const answerQr = 'QR code of the answer code';
export const answerCode = 'Answer code';
export const copyAnswer = 'Copy answer code';
export const waitingForPaste = 'Waiting for them to paste it…';
