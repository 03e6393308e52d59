ALTER TABLE `loader_runs` ADD `snapshot` text;--> statement-breakpoint
ALTER TABLE `loaders` ADD `revision` integer DEFAULT 0 NOT NULL;