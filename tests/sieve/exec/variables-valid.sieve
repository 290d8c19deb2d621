require ["vnd.standby.mirror", "variables"];
if header :matches "subject" "New order *" {
	mirror :mailbox "Orders/${1}" :flags "$Order";
}
