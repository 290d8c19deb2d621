# nothing mirrored for irrelevant mail
require ["vnd.standby.mirror"];
if header :contains "subject" "order" {
	mirror :mailbox "Orders";
}
