require ["vnd.standby.mirror", "environment"];
if environment :is "vnd.standby.direction" "outgoing" {
	mirror;
} elsif environment :is "vnd.standby.direction" "incoming" {
	mirror :mailbox "Incoming";
}
