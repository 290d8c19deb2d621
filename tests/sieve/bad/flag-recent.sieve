# expect: \Recent cannot be set by a client
require "vnd.standby.mirror";
mirror :flags ["\\Seen", "\\Recent"];
