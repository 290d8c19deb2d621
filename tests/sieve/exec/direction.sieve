# sieve-test simulates a delivery: the direction is incoming
require ["vnd.standby.mirror", "environment", "variables"];
if environment :matches "vnd.standby.direction" "*" {
	set "dir" "${1}";
}
if string :is "${dir}" "incoming" {
	mirror :mailbox "Direction/incoming";
} else {
	mirror :mailbox "Direction/other";
}
