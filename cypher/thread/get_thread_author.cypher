// The identifier of the user who owns a thread (no row for an unknown or userless thread).
// mode: read
// params: threadId
// returns: identifier
MATCH (u:User)-[:AUTHORED]->(t:Thread {id: $threadId})
RETURN u.identifier AS identifier
