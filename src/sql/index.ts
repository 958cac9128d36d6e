/**
 * src/sql/: SQL text, shared by the warehouse, the operators, fixtures, snapshots and
 * verification: identifier quoting for MySQL and Postgres (identifiers.ts: the one
 * `quoteMysqlIdent` and `quotePgIdent`) and the lexer statements are read with (sql-lexer.ts).
 * The fixture loader's statement splitter (fixtures/sql-splitter.ts) is still a second lexer.
 *
 * May import: shared/ (see .dependency-cruiser.cjs).
 *
 * @module
 */
export { mysqlTableName, pgTableName, quoteMysqlIdent, quotePgIdent, shortId, slug, SNAPSHOT_PREFIX, truncateBytes } from './identifiers.ts';
export {
  HOLE_CLOSE,
  HOLE_OPEN,
  isTrivia,
  isWord,
  leadingKeyword,
  lexSql,
  splitStatements,
  stringValue,
  type Dialect,
  type Statement,
  type Token,
  type TokenKind,
} from './sql-lexer.ts';
