// Upsert users by identifier, one per row of $rows (each: identifier, newId, now, metadata,
// displayName): id and createdAt are kept across logins, metadata is replaced. One user
// alone, or the logins of concurrent callers in one transaction (batching.RowBatcher).
// mode: write
// params: rows
// batch: identifier
// returns: per row, in order: user (properties map, createdAt as ISO text: the driver decodes
// a DateTime in Python, text next to nothing)
UNWIND range(0, size($rows) - 1) AS i
WITH i, $rows[i] AS row
CALL (row) {
  MERGE (u:User {identifier: row.identifier})
  ON CREATE SET u.id = row.newId, u.createdAt = datetime(row.now)
  SET u.metadata = row.metadata,
      u.displayName = coalesce(row.displayName, u.displayName)
  RETURN u {.*, createdAt: toString(u.createdAt)} AS user
}
RETURN user
ORDER BY i
