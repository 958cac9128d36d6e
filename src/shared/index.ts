/**
 * src/shared/: small generic helpers that know nothing of DAGs, runs or services, one copy each:
 * `didYouMean` (suggest.ts), `ms` (a duration for people), `errorMessage`, `escapeRegExp`,
 * `mapLimit`, the S3 object helpers (s3-objects.ts: list, copy, delete with one `deleteKeys`;
 * s3-transfer.ts: streamed list, read and upload) and the table formatter that measures
 * display width (table.ts).
 *
 * May import: nothing else in src/ (the bottom layer; see .dependency-cruiser.cjs).
 *
 * @module
 */
export { errorMessage } from './errors.ts';
export { mapLimit } from './map-limit.ts';
export { ms } from './ms.ts';
export { escapeRegExp } from './regexp.ts';
export { closestName, didYouMean } from './suggest.ts';
export { displayWidth, formatTable, padEndDisplay, padStartDisplay, type TableOptions } from './table.ts';
export {
  copyObject,
  createBucket,
  deleteKeys,
  emptyAndDeleteBucket,
  isNoSuchBucket,
  listObjects,
  S3_CONCURRENCY,
  type ObjectEntry,
  type ObjectLocation,
} from './s3-objects.ts';
export { listKeys, openObject, uploadStream, UPLOAD_PART_BYTES, UPLOAD_QUEUE } from './s3-transfer.ts';
