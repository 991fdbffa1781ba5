export { API_KEY_HEADERS, ApiKeyAuthenticator, type ApiKeys } from './api-keys.js';
export { contentMd5FromHex, md5FromContentMd5, parseMd5 } from './checksum.js';
export { type CorsOrigins, corsHeaders, preflightHeaders } from './cors.js';
export {
  canPresignUpload,
  type PresignedUpload,
  type UploadUrlOptions,
  type UploadUrlProvider,
} from './direct-upload.js';
export { HttpError, httpErrorFromAccessor } from './http-error.js';
export { COMPONENT_ID_PATTERN, isValidComponentId, storageContainer, storagePath } from './ids.js';
export {
  DEFAULTS,
  type FileServerOptions,
  fileServerOptionsFromEnv,
  parseByteSize,
  type StartFileServerOptions,
} from './options.js';
export { parseRange, type RangeRequest } from './range.js';
export { contentDisposition } from './routes/api.js';
export { createFileServer, redactUrl } from './server.js';
export {
  canonicalMessage,
  computeSignature,
  SIGNED_ACTIONS,
  SignatureError,
  type SignatureSecret,
  type SignedAction,
  type SignedParameters,
  signedQuery,
  signUrl,
  type VerifyOptions,
  verifySignature,
} from './signature.js';
export { type RunningFileServer, startFileServer, startFileServerFromEnv } from './start.js';
export { type UploadExpectations, VerifyingStream } from './verifying-stream.js';
