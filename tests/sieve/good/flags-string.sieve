require "vnd.standby.mirror";
mirror :flags "\\Answered" :mailbox "Quotes";
