# fileinto and mirror combine; fileinto cancels the implicit keep, mirror does not
require ["vnd.standby.mirror", "fileinto"];
if header :contains "subject" "order" {
	fileinto "Orders";
	mirror :mailbox "Orders" :flags "\\Seen";
}
