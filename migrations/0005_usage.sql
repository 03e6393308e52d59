ALTER TABLE `loader_runs` ADD `usage` text;--> statement-breakpoint
ALTER TABLE `loader_runs` ADD `estimated_cost_usd` real;--> statement-breakpoint
CREATE INDEX `loader_runs_workspace_created` ON `loader_runs` (`workspace_id`,`created_at`);