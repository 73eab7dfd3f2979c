// Upsert a user by identifier: id and createdAt are kept across logins, metadata is replaced.
// mode: write
// params: identifier, newId, now, metadata, displayName
// returns: user (properties map, createdAt as ISO text: the driver decodes a DateTime in
// Python, text next to nothing)
MERGE (u:User {identifier: $identifier})
ON CREATE SET u.id = $newId, u.createdAt = datetime($now)
SET u.metadata = $metadata,
    u.displayName = coalesce($displayName, u.displayName)
RETURN u {.*, createdAt: toString(u.createdAt)} AS user
