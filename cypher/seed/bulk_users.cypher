// Bulk writer: upsert many users at once, as user/upsert_user does one by one (id and
// createdAt kept across runs, metadata replaced).
// mode: write
// params: rows, now
// returns: identifier, id
UNWIND $rows AS row
MERGE (u:User {identifier: row.identifier})
ON CREATE SET u.id = row.id, u.createdAt = datetime($now)
SET u.metadata = row.metadata,
    u.displayName = coalesce(row.displayName, u.displayName)
RETURN u.identifier AS identifier, u.id AS id
