/**
 * Redshift on the Postgres stand-in: COPY from S3, UNLOAD to S3, Redshift's SQL translated to
 * Postgres (functions in a `dagbox` schema), Redshift's refusals, informational keys, TRUNCATE
 * that commits, one connection per task try, and errors that name any Redshift option the
 * stand-in does not carry out.
 *
 * ```ts
 * import { createWarehouse } from './warehouse/index.ts';
 * const warehouse = createWarehouse({ pool: () => pool, s3, sessionBucket: 'dagbox' });
 * await warehouse.query("COPY raw_data.nps FROM 's3://_/nps.csv' CSV IGNOREHEADER 1");
 * ```
 *
 * May import: sql/, shared/ (the layers are checked by .dependency-cruiser.cjs).
 */
export { createWarehouse, openTryWarehouse, rawClient, wrapClient } from './warehouse-pool.ts';
export type { TryOptions, TryWarehouse, WarehouseOptions } from './warehouse-pool.ts';
export { RedshiftRefusal, refuseUnlessRedshift } from './redshift-refusals.ts';
export { prepareWarehouseSession, WAREHOUSE_SEARCH_PATH } from './redshift-dialect.ts';
export { planRedshift, runEmulated } from './redshift-session.ts';
export type { RedshiftPlan } from './redshift-session.ts';
export { translateCached, translateText, translateTokens } from './redshift-translate.ts';
export { isS3Copy, parseCopy, postgresCopySql } from './copy-command.ts';
export type { CopyCommand } from './copy-command.ts';
export { isUnload, parseUnload, unloadKey } from './unload-command.ts';
export type { UnloadCommand } from './unload-command.ts';
export { copyFromS3 } from './copy-from-s3.ts';
export type { CopyFromS3Options, CopyResult, S3Access } from './copy-from-s3.ts';
export { unloadToS3 } from './unload-to-s3.ts';
export type { UnloadResult } from './unload-to-s3.ts';
export { parseS3Url, s3Url, SESSION_BUCKET } from './s3-location.ts';
export type { S3Location } from './s3-location.ts';
export { listKeys, openObject, uploadStream, UPLOAD_PART_BYTES } from '../shared/s3-transfer.ts';
export { lexSql, splitStatements, stringValue, leadingKeyword, isTrivia } from '../sql/sql-lexer.ts';
export type { Dialect, Statement, Token, TokenKind } from '../sql/sql-lexer.ts';
