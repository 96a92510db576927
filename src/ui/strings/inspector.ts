/**
 * The words of the protocol inspector (Inspector.tsx, InspectorPanel.tsx), opened from a chat:
 * the session facts, the table of recent frames, the export and the contact's security events.
 * Names of protocols, ciphers and frame fields (DTLS, HMAC, AES-GCM, ML-KEM-1024) stay as they are.
 */
export const heading = 'Protocol inspector';
export const noSession =
  'No session with this contact since the app was opened: there are no frames to show yet.';

export const protocol = 'Protocol';
export const protocolFacts = (version: string, role: string, state: string): string =>
  `SecMsg ${version}; this device is the ${role}; session ${state}`;
export const suite = 'Suite';
export const messageKeys = 'Message keys';
export const ratchetNotStarted = 'Double Ratchet: not started yet.';
export const ratchetFacts = (
  dhSteps: number,
  kemSteps: number,
  sendIndex: number,
  receiveIndex: number,
  skippedKeys: number,
): string =>
  `Double Ratchet: ${dhSteps} DH steps, ${kemSteps} of them with ML-KEM-1024; sending chain at message ${sendIndex}, receiving chain at ${receiveIndex}; ${skippedKeys === 1 ? '1 skipped key' : `${skippedKeys} skipped keys`} held`;
export const ratchetId = 'Ratchet id';
export const localFingerprint = 'DTLS fingerprint (mine)';
export const remoteFingerprint = 'DTLS fingerprint (theirs)';
export const handshakeHash = 'Handshake hash';
export const route = 'Route';
export const path = 'Path';
export const checking = 'Checking…';
export const pathUnknown = 'Not known on this connection.';
export const addressHidden = 'address hidden';
export const pathSummary = (
  localType: string,
  remoteType: string,
  protocol: string,
  relayProtocol?: string,
): string =>
  `${localType} ⇄ ${remoteType}, ${protocol}${relayProtocol ? ` (to the relay over ${relayProtocol})` : ''}`;
export const checkPathAgain = 'Check the path again';
export const capabilities = 'Capabilities';
export const inUse = (common: readonly string[]): string =>
  `In use: ${common.length > 0 ? common.join(', ') : 'none in common'}`;
export const onlyThisDevice = (ours: readonly string[]): string => `Only this device: ${ours.join(', ')}`;
export const onlyTheirs = (theirs: readonly string[]): string => `Only theirs: ${theirs.join(', ')}`;

export const framesRegion = 'Recent frames (scrolls sideways)';
export const recentFrames = 'Recent frames';
export const direction = 'Direction';
export const type = 'Type';
export const flags = 'Flags';
export const sequence = 'Seq';
export const timestamp = 'Timestamp';
export const length = 'Length';
export const hmac = 'HMAC';
export const aead = 'AES-GCM';
export const result = 'Result';
export const noFrames = 'No frames yet.';
/** A header field the session did not report (read by screen readers; the eye sees a dash). */
export const unknown = 'unknown';
export const noTimestamp = '0 (none)';
export const onTheWire = (size: number): string => ` (${size} on the wire)`;
export const exportLog = 'Export frame log (JSON)';
export const exportHolds =
  'The file holds frame headers, check results and the session facts above: no message text, no keys and no network addresses.';

export const securityEvents = 'Security events';
export const noSecurityEvents = 'No security events for this contact.';
export const verificationFailed = 'Verification failed';
export const paired = 'Paired';
export const keyChanged = 'Key changed';
export const keyChangeAccepted = 'New key accepted';
export const verifiedByScan = 'Verified by scan';
export const verifiedByCode = 'Verified by short code';
export const verifiedByComparison = 'Verified by comparison';
export const verificationCleared = 'Verification cleared';
export const macFailed = 'HMAC failed';
export const decryptFailed = 'Decryption failed';
export const frameRefused = 'Frame refused';
export const possibleInterception = 'Possible interception';
export const reconnectResumed = 'Reconnecting resumed';
export const sessionClosed = 'Session closed';
export const keyRefused = 'New key refused';
export const nameAnnounced = 'Announced name changed';
export const nameSet = 'Name set';
export const photoMatched = 'Picture matched';
export const verifiedByPhoto = 'Verified by picture';
export const upgrade = 'Upgrade';
export const keyRotated = 'Keys replaced (signed)';
export const rotationRefused = 'Key rotation refused';
export const signingKeyPinned = 'Post-quantum key pinned';
export const ratchetRestarted = 'Message keys started afresh';
export const ratchetRefused = 'Message refused';
export const mailboxRefused = 'Mailbox message refused';
