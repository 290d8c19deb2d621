require "vnd.standby.mirror";
mirror :mailbox "Orders" :flags ["\\Seen", "$Order", "\\Flagged"];
