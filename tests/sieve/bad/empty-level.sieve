# expect: folder name has an empty level
require "vnd.standby.mirror";
mirror :mailbox "Orders//2026";
