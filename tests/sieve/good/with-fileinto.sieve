require ["vnd.standby.mirror", "fileinto", "imap4flags"];
if header :contains "subject" "order" {
	fileinto :flags "\\Seen" "Orders";
	mirror :mailbox "Orders";
}
