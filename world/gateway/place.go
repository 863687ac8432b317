package gateway

// A player's place in its party. A party lives in its zones' memory
// (world/zone/party.go), and a zone that crashes loses it: its players come
// back (zoneback.go), their parties did not. Each Party event a zone sends
// a player carries the player's place (ZonePlayerEvent.party_leader and
// party_joined: its leader's character and when it joined), which the
// gateway keeps as it queues the event (early.go's queueEvent, which
// decodes it once for all it reads), and says again when it enters the player into a zone that
// restarted, or into the zone a lost instance sends it to (enterInto), as
// a zone handing a player off does: the zone puts it back with the
// members there, in the order they joined. A gateway that crashes loses
// the places it kept; the gateway that takes its players back learns them
// again from the Party messages their zones replay (each carries the
// player's place now) and tell again at their first input (the zone's
// retell).

// partyPlace is a player's place in its party: its leader's character and
// when it joined (the zone's stamp); 0, 0 in none.
type partyPlace struct {
	leader, joined uint64
}

// placeOf returns a player's place in its party.
func (g *Node) placeOf(p *player) partyPlace {
	g.mu.Lock()
	defer g.mu.Unlock()
	return p.place
}
