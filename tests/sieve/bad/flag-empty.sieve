# expect: flag is empty
require "vnd.standby.mirror";
mirror :flags "";
