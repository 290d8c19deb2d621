# two mirrors to one folder make one copy with the union of the flags;
# "INBOX" is the default folder of incoming mail
require "vnd.standby.mirror";
mirror :mailbox "Orders" :flags "\\Seen";
mirror :mailbox "Quotes";
mirror :mailbox "Orders" :flags ["$Order", "\\seen"];
mirror;
mirror :mailbox "INBOX";
mirror :mailbox "Quotes";
