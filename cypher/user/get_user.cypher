// Fetch a user by identifier.
// mode: read
// params: identifier
// returns: user (properties map, createdAt as ISO text: the driver decodes a DateTime in
// Python, text next to nothing)
MATCH (u:User {identifier: $identifier})
RETURN u {.*, createdAt: toString(u.createdAt)} AS user
