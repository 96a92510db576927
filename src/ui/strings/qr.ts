/**
 * The words of the QR code parts of the pairing and safety-number screens: the scanner
 * (QrScanner.tsx) with its camera and picture errors (qr/errors.ts, qr/decode.ts), and a QR code
 * being drawn (QrCode.tsx). They load with those screens.
 */
export const scanWithCamera = 'Scan with camera';
export const stopCamera = 'Stop camera';
export const cameraPreview = 'Camera preview';
export const choosePhoto = 'Choose a photo of a QR code';
export const startingCamera = 'Starting the camera…';
export const pointCamera = 'Point the camera at the QR code.';
export const cameraOff = 'Camera off.';
export const readingPhoto = 'Reading the photo…';
export const read = 'QR code read.';
export const readFromPicture = 'QR code read from the picture.';
export const noCodeInPhoto = 'No QR code was found in that photo. Try a sharper, closer picture.';
export const notAccepted = 'That QR code is not one SecMsg can use here. Check that it is the right code.';
export const unexpected = 'Something went wrong while reading the QR code. Try again.';

export const permissionDenied =
  'The camera is blocked for this site. Allow camera access in the browser’s site settings, or choose a photo instead.';
export const noCamera = 'No camera was found on this device. Choose a photo of the QR code instead.';
export const cameraInUse =
  'The camera could not be started; another app or tab may be using it. Close it and try again, or choose a photo instead.';
export const insecureContext =
  'The camera only works when this page is opened over HTTPS (or on localhost). Choose a photo of the QR code instead.';
export const unsupported = 'This browser cannot use the camera here. Choose a photo of the QR code instead.';
export const cameraFailed =
  'The camera stopped unexpectedly. Try again, or choose a photo of the QR code instead.';
export const unreadableImage =
  'That file could not be opened as a picture. Choose a photo (for example PNG or JPEG).';
export const cannotReadPictures = 'This browser cannot read pictures here.';

export const drawing = 'Drawing the QR code…';
