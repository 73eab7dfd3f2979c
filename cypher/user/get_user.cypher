// Fetch a user by identifier.
// mode: read
// params: identifier
// returns: user (properties map)
MATCH (u:User {identifier: $identifier})
RETURN properties(u) AS user
