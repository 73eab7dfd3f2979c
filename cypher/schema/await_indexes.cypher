// Wait until every index is online (used after the schema files are applied).
// mode: read
// params: seconds
// returns: nothing
CALL db.awaitIndexes($seconds)
