# mirror alone keeps the implicit keep
require "vnd.standby.mirror";
mirror;
